/** The app's name and mark: a speech bubble drawn in CSS, so there is no image to ship. */
export function Brand() {
  return (
    <div className="inline-flex items-center gap-2 text-[1.05rem] font-bold tracking-[-0.01em]">
      <span className="bg-brand size-[22px] rounded-[7px_7px_7px_2px]" aria-hidden="true" />
      Chat
    </div>
  );
}
