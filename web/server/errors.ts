/** A failure the caller can act on: carries the HTTP status and a stable machine-readable code. */
export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const unauthorized = (message = "Sign in first.") => new DomainError(401, "unauthorized", message);
export const notFound = (code: string, message: string) => new DomainError(404, code, message);
export const badRequest = (code: string, message: string, details?: unknown) => new DomainError(400, code, message, details);
export const unavailable = (code: string, message: string) => new DomainError(503, code, message);
