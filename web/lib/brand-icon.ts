/**
 * The brand mark as an inline SVG data URL: no file to serve, and no /favicon.ico 404 in the
 * console. Used by the app's layout and by the self-contained auth pages.
 */
export const BRAND_ICON =
  "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">' +
      '<stop offset="0" stop-color="#4f5bd5"/><stop offset="1" stop-color="#38a3e0"/></linearGradient></defs>' +
      '<path d="M9 2h14a7 7 0 0 1 7 7v10a7 7 0 0 1-7 7H12l-7 5v-6.5A7 7 0 0 1 2 19V9a7 7 0 0 1 7-7z" fill="url(#g)"/></svg>',
  );
