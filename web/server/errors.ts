// IMPORTANT: Next.js compiles instrumentation, pages and route handlers as separate module
// layers, each with its own copy of this file. The services are built once (at boot, in the
// instrumentation layer) and used from route handlers, so an error thrown by a service is
// another layer's `DomainError` and `instanceof` fails. The brand below is a registered
// symbol, the same in every layer: `isDomainError` and `instanceof DomainError` both check it.
const brand = Symbol.for("realtime-chat.DomainError");

/** A failure the caller can act on: carries the HTTP status and a stable machine-readable code. */
export class DomainError extends Error {
  override name = "DomainError";
  readonly [brand] = true;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isDomainError(value);
  }
}

/** True for a `DomainError` from any module layer (see the note above). */
export function isDomainError(value: unknown): value is DomainError {
  return typeof value === "object" && value !== null && (value as { [brand]?: unknown })[brand] === true;
}

export const unauthorized = (message = "Sign in first.") => new DomainError(401, "unauthorized", message);
export const notFound = (code: string, message: string) => new DomainError(404, code, message);
export const badRequest = (code: string, message: string, details?: unknown) => new DomainError(400, code, message, details);
export const unavailable = (code: string, message: string) => new DomainError(503, code, message);
