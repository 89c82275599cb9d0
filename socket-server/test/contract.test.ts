import { describe, expect, it } from "vitest";
import { batchItemSchema, chatMessageSchema, pushBodySchema, pushSchema, readStateSchema } from "../src/contract/index.js";
import { buildMessage, buildReadState } from "../src/contract/testing.js";

const kinds = (schema: { options: readonly { shape: { type: { value: string } } }[] }) =>
  schema.options.map((option) => option.shape.type.value).sort();

describe("the wire contract", () => {
  it("when a push kind is added, then a batch item and a push body can carry it too", () => {
    expect(kinds(batchItemSchema)).toEqual(kinds(pushSchema));
    expect(kinds(pushBodySchema)).toEqual([...kinds(pushSchema), "batch"].sort());
  });

  it("when the factories build a message and a read state, then the contract's schemas accept them", () => {
    expect(chatMessageSchema.parse(buildMessage())).toBeTruthy();
    expect(readStateSchema.parse(buildReadState())).toBeTruthy();
    expect(pushBodySchema.parse({ type: "batch", data: [{ id: "msg_1", type: "message.created", data: buildMessage() }] })).toBeTruthy();
  });
});
