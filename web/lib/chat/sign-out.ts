import { isUnauthorized } from "@/lib/client/api";
import { describeError, type ChatCore } from "./core";

/**
 * Signing out here, and the session ending elsewhere. Signing out on purpose deletes what is
 * unsent (after asking); a session that ended by itself keeps it for the next sign-in.
 */
export function createSignOut(core: ChatCore, forget: () => void) {
  const { api, page } = core.deps;
  let signingOut = false;

  return {
    async signOut() {
      const unsent = core.outbox()?.items().length ?? 0;
      if (unsent > 0) {
        const what = unsent === 1 ? "1 message has" : `${unsent} messages have`;
        if (!page.confirm(`${what} not been sent yet and will be deleted. Sign out anyway?`)) return;
      }
      signingOut = true;
      try {
        await api.signOut();
      } catch (error) {
        // Already signed out is as good as signing out now.
        if (!isUnauthorized(error)) {
          signingOut = false;
          core.dispatch({ type: "notice/changed", notice: `Could not sign out: ${describeError(error)}` });
          return;
        }
      }
      core.outbox()?.clear();
      forget();
      // A full navigation drops the socket and every bit of state in memory.
      page.leave("/login");
    },
    start() {
      const stops = [
        core.on("sessionEnded", (reason) => {
          core.outbox()?.dispose();
          // Signed out (in another tab or on another device): the sign-in page, now.
          if (reason === "signed_out" && !signingOut) page.leave("/login");
        }),
      ];
      return () => {
        for (const stop of stops) stop();
      };
    },
  };
}
