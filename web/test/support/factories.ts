import { randomUUID } from "node:crypto";
import type { ChatMessage } from "@/lib/types";

export function buildMessage(overrides: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: randomUUID(),
    conversationId: randomUUID(),
    seq: 1,
    senderId: randomUUID(),
    recipientId: randomUUID(),
    content: "hello",
    clientId: randomUUID(),
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}
