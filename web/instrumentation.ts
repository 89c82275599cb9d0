// Runs once when the server starts. The Node.js-only part lives in its own module, which the
// Edge bundle never includes.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./instrumentation-node");
}
