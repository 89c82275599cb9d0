/**
 * Test factories for the contract's shapes, shared by both packages' tests
 * (`socket-server/contract/testing`). Valid by the contract's schemas unless overridden.
 */
import type { Change, ChatMessage, ReadState } from "./index.js";

/** A valid stored message between two fresh users; `overrides` win. */
export function buildMessage(overrides: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: crypto.randomUUID(),
    conversationId: crypto.randomUUID(),
    seq: 1,
    senderId: crypto.randomUUID(),
    recipientId: crypto.randomUUID(),
    kind: "text",
    content: "hello",
    clientId: crypto.randomUUID(),
    createdAt: new Date().toISOString(),
    system: null,
    ...overrides,
  };
}

/** A valid read position of one user in a conversation with another; `overrides` win. */
export function buildReadState(overrides: Partial<ReadState> = {}): ReadState {
  return {
    conversationId: crypto.randomUUID(),
    userId: crypto.randomUUID(),
    peerId: crypto.randomUUID(),
    lastReadSeq: 1,
    ...overrides,
  };
}

/** A valid change-stream entry (an edit of a fresh message unless overridden); `overrides` win. */
export function buildChange(overrides: Partial<Change> = {}): Change {
  const message = overrides.message ?? buildMessage({ pos: 1, editedAt: new Date().toISOString() });
  return {
    conversationId: message.conversationId,
    pos: 2,
    type: "message.edited",
    actorId: message.senderId,
    emoji: null,
    at: new Date().toISOString(),
    message,
    ...overrides,
  };
}
