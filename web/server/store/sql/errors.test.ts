import { describe, expect, it } from "vitest";
import { isDomainError } from "@/server/errors";
import { toDomainError } from "./errors";

// The schema's deliberate errors, as pg/PGlite (`detail`) and PostgREST (`details`) report them.
describe("toDomainError", () => {
  it.each([
    [{ code: "PT422", message: "content must not be empty", detail: "content", hint: "validation_failed" }],
    [{ code: "PT422", message: "content must not be empty", details: "content", hint: "validation_failed" }],
  ])("when a field is invalid (%j), then 422 validation_failed with the field as the path", (error) => {
    const mapped = toDomainError(error);
    expect(isDomainError(mapped)).toBe(true);
    expect(mapped).toMatchObject({
      status: 422,
      code: "validation_failed",
      message: "content: content must not be empty",
      details: [{ path: "content", message: "content must not be empty" }],
    });
  });

  it("when the send limit is hit, then 429 rate_limited with Retry-After from the detail", () => {
    const mapped = toDomainError({ code: "PT429", message: "Too many requests. Try again in 7 s.", details: "7", hint: "rate_limited" });
    expect(mapped).toMatchObject({ status: 429, code: "rate_limited", headers: { "retry-after": "7" } });
  });

  it.each([
    ["PT409", "client_id_conflict", 409],
    ["PT400", "cannot_message_self", 400],
    ["PT401", "unauthorized", 401],
  ])("when the SQL raises %s %s, then %i with that code", (code, hint, status) => {
    expect(toDomainError({ code, message: "m", hint })).toMatchObject({ status, code: hint, message: "m" });
  });

  it.each([
    [{ code: "23503", message: "fk" }],
    [{ code: "PT500", message: "x", hint: "internal" }],
    [{ code: "PT409", message: "no hint" }],
    [{ code: "PT409", message: "odd hint", hint: "Not A Code" }],
    [new Error("plain")],
    [null],
    ["text"],
  ])("when the error is not one of the schema's deliberate ones (%j), then null", (error) => {
    expect(toDomainError(error)).toBeNull();
  });
});
