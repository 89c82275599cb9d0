import "server-only";
import { randomBytes } from "node:crypto";
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/**
 * The TCP peer's address for route handlers. Next.js gives them no socket, and fills
 * X-Forwarded-For from it only when the client sent none (so a client picks its own). Node's
 * `http.server.request.start` channel sees every request with its socket before Next.js does:
 * we stamp the address into a header, signed with a per-process random tag, so a client cannot
 * forge it, and a request that somehow missed the stamp has no peer (a shared rate-limit bucket).
 *
 * IMPORTANT: instrumentation, pages and route handlers are separate module layers; the tag lives
 * on globalThis under a Symbol.for key so every copy of this module reads the same one.
 */
export const PEER_HEADER = "x-chat-peer-address";

const TAG_KEY = Symbol.for("chat.peerAddressTag");
const INSTALLED_KEY = Symbol.for("chat.peerAddressInstalled");
const store = globalThis as unknown as { [TAG_KEY]?: string; [INSTALLED_KEY]?: boolean };

function tag(): string {
  store[TAG_KEY] ??= randomBytes(16).toString("hex");
  return store[TAG_KEY];
}

/** Writes the stamp (used by the Express mount, which has the socket in hand). */
export function setPeerAddress(headers: Headers | IncomingMessage["headers"], remoteAddress: string | undefined): void {
  const value = remoteAddress ? `${tag()} ${remoteAddress}` : "";
  if (headers instanceof Headers) headers.set(PEER_HEADER, value);
  else headers[PEER_HEADER] = value;
}

/** Stamps every request this process serves from now on. Idempotent. */
export function stampPeerAddresses(): void {
  if (store[INSTALLED_KEY]) return;
  store[INSTALLED_KEY] = true;
  subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    setPeerAddress(request.headers, socket.remoteAddress);
  });
}

/** The stamped peer address; undefined when missing or not stamped by this process. */
export function peerAddress(headers: Headers): string | undefined {
  const value = headers.get(PEER_HEADER);
  if (!value) return undefined;
  const space = value.indexOf(" ");
  if (space < 0 || value.slice(0, space) !== tag()) return undefined;
  return normalizeAddress(value.slice(space + 1));
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) counts as 127.0.0.1. */
export function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** 127.0.0.0/8 and ::1: this machine. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const normalized = normalizeAddress(address);
  return normalized === "::1" || /^127\.\d+\.\d+\.\d+$/.test(normalized);
}

/**
 * Sent from this machine, directly or through a proxy on it that names only loopback clients:
 * the TCP peer is loopback and so is every X-Forwarded-For entry (a local reverse proxy in front
 * of a public port adds the remote client's address there).
 */
export function isLoopbackRequest(headers: Headers): boolean {
  if (!isLoopback(peerAddress(headers))) return false;
  const forwarded = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  return forwarded.every(isLoopback);
}
