import type { Change, ChatMessage } from "@/lib/types";

/**
 * The open conversation's place in its change stream (edits, deletions, reactions, new messages;
 * see `Change`). Every change up to `pos` is applied; `ahead` holds live changes that arrived past
 * a gap (a push lost or late), applied once the gap fills, or fetched by a catch-up.
 */
export interface ChangeCursor {
  /** Null until a first page says where the conversation stands (or a server without the stream). */
  pos: number | null;
  /** Live changes past `pos + 1`, by pos, without duplicates. */
  ahead: Change[];
  /** By message id: the position of the last change applied to it (see `isNewer`). */
  versions: Record<string, number>;
}

/** The part of a view the change stream touches. */
export interface ChangeTarget extends ChangeCursor {
  messages: ChatMessage[];
  hasOlder: boolean;
}

/** The message as a change-stream entry of its creation (a `message:new` carries its `pos`). */
export function creationChange(message: ChatMessage & { pos: number }): Change {
  return {
    conversationId: message.conversationId,
    pos: message.pos,
    type: "message.created",
    actorId: message.senderId,
    emoji: null,
    at: message.createdAt,
    message,
  };
}

/** The newest change position a page of messages proves held (each message's `pos` is its creation's). */
export function highestPos(messages: ChatMessage[]): number | null {
  let highest: number | null = null;
  for (const message of messages) {
    if (message.pos !== undefined && (highest === null || message.pos > highest)) highest = message.pos;
  }
  return highest;
}

/**
 * Puts the message as it is now in place of the held one. A message not held goes in only when it
 * falls within what the view shows (not older than its oldest message while older ones exist):
 * a reaction to a message far back stays out until that page is loaded.
 */
export function putMessage(messages: ChatMessage[], message: ChatMessage, hasOlder: boolean): ChatMessage[] {
  const index = messages.findIndex((held) => held.id === message.id);
  if (index >= 0) {
    if (messages[index] === message) return messages;
    const next = [...messages];
    next[index] = message;
    return next;
  }
  const oldest = messages[0];
  if (hasOlder && oldest && message.seq < oldest.seq) return messages;
  return [...messages, message].sort((a, b) => a.seq - b.seq);
}

/** Applies every change of `ahead` that follows `pos` without a gap; drops what is already applied. */
function drain<T extends ChangeTarget>(target: T): T {
  if (target.pos === null) return target;
  let { pos, messages, versions } = target;
  const ahead = target.ahead.filter((change) => change.pos > pos!);
  while (ahead[0]?.pos === pos + 1) {
    const change = ahead.shift()!;
    messages = putMessage(messages, change.message, target.hasOlder);
    versions = { ...versions, [change.message.id]: change.pos };
    pos = change.pos;
  }
  if (pos === target.pos && ahead.length === target.ahead.length) return target;
  return { ...target, pos, ahead, messages, versions };
}

/**
 * A live change (or a live message's creation): applied when it is the next position, kept in
 * `ahead` when it comes past a gap, ignored when already applied. Before the cursor knows its
 * place (the first page in flight) it waits in `ahead` too.
 */
export function receiveChange<T extends ChangeTarget>(target: T, change: Change): T {
  if (target.pos !== null && change.pos <= target.pos) return target;
  if (target.ahead.some((held) => held.pos === change.pos)) return target;
  const ahead = [...target.ahead, change].sort((a, b) => a.pos - b.pos);
  return drain({ ...target, ahead });
}

/**
 * A page of the change stream fetched after `pos`: each change carries the message as it is now,
 * so they all apply, in order. `lastPos`: the page reached the end of the stream, which stood there.
 */
export function applyChangesPage<T extends ChangeTarget>(target: T, changes: Change[], lastPos: number | null): T {
  let { pos, messages } = target;
  const versions = { ...target.versions };
  for (const change of changes) {
    if (pos !== null && change.pos <= pos) continue;
    messages = putMessage(messages, change.message, target.hasOlder);
    versions[change.message.id] = change.pos;
    pos = change.pos;
  }
  if (lastPos !== null && (pos === null || lastPos > pos)) pos = lastPos;
  return drain({ ...target, pos, messages, versions });
}

/** The cursor's place once a first page is held: what the page proves, or what the list said before it was fetched. */
export function settleCursor<T extends ChangeTarget>(target: T, page: ChatMessage[], listedPos: number | undefined): T {
  if (target.pos !== null) return drain(target);
  const proven = highestPos(page);
  // A server without the change stream: messages without `pos`.
  if (proven === null && page.length > 0 && listedPos === undefined) return target;
  return drain({ ...target, pos: Math.max(proven ?? 0, listedPos ?? 0) });
}

/**
 * The server's answer to my edit, deletion or reaction, asked for when the cursor stood at
 * `since`, may go in: no change after `since` has been applied to that message (a later change
 * already shown is newer than the answer may be; the change of my own action follows in the stream).
 */
export function isNewer(target: Pick<ChangeCursor, "versions">, messageId: string, since: number | null): boolean {
  const applied = target.versions[messageId];
  return applied === undefined || since === null || applied <= since;
}

/** Live changes wait past a gap: a catch-up of the change stream should fetch it. */
export function changesBehind(cursor: ChangeCursor): boolean {
  return cursor.pos !== null && cursor.ahead.length > 0;
}
