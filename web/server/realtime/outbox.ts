import { randomUUID } from "node:crypto";
import type { SupabaseClient } from "@supabase/supabase-js";
import { MAX_BATCH_BYTES, MAX_BATCH_ITEMS, type Push } from "socket-server/contract";
import type { SqlClient } from "@/server/store/sql/client";
import { signBody } from "./push";

/** One pending push as the outbox holds it (`push_outbox`, see the migration). */
export interface OutboxRow {
  /** bigint, as text: drivers differ. */
  id: string;
  /** The receiver's dedupe key: `msg_<message id>`, `read_…`, `revoke_…`. */
  pushId: string;
  push: Push;
  attempts: number;
  createdAt: Date;
  /** Past the max age: already deleted by the claim, only to be logged and counted. */
  expired: boolean;
}

/**
 * Where the dispatcher takes its rows from: the claim is a lease (rows stay invisible to other
 * dispatchers until completed, released or the lease runs out). One adapter per backend.
 */
export interface OutboxSource {
  claim(limit: number): Promise<OutboxRow[]>;
  /**
   * The named rows (a request's own, by push id) that are due: no scan, no expiry. A row is left
   * when it is leased, in backoff, or behind an older unleased row of its user (the general claim
   * sends those in order).
   */
  claimIds(pushIds: string[]): Promise<OutboxRow[]>;
  /** Delivered: delete. */
  complete(ids: string[]): Promise<void>;
  /** Delivered without a claim (a push the request held, see `HeldPush`): delete by push id. */
  completeIds(pushIds: string[]): Promise<void>;
  /** Not delivered: due again after a backoff. */
  release(ids: string[], error: string): Promise<void>;
}

export interface OutboxSourceOptions {
  /** How long a claim holds its rows (longer than a send with its timeout). */
  leaseSeconds: number;
  maxAgeSeconds: number;
}

interface ClaimedRow {
  id: string | number;
  push_id: string;
  type: Push["type"];
  payload: Push["data"] | string;
  attempts: number;
  created_at: Date | string;
  expired: boolean;
}

/**
 * A row's push. A group's pushes keep their recipients (`to`, the members at commit) in the
 * payload next to the data (see the groups migration): moved here to the push itself.
 */
function toPush(type: Push["type"], payload: Push["data"] | string): Push {
  const parsed = (typeof payload === "string" ? JSON.parse(payload) : payload) as Push["data"] & { to?: string[] };
  if (!("to" in parsed)) return { type, data: parsed } as Push;
  const { to, ...data } = parsed;
  return { type, data, to } as Push;
}

const toRow = (row: ClaimedRow): OutboxRow => ({
  id: String(row.id),
  pushId: row.push_id,
  push: toPush(row.type, row.payload),
  attempts: Number(row.attempts),
  createdAt: new Date(row.created_at),
  expired: row.expired,
});

/** Embedded and DATABASE_URL modes: the app's own connection (the owner) claims every user's rows. */
export function createSqlOutboxSource(db: SqlClient, { leaseSeconds, maxAgeSeconds }: OutboxSourceOptions): OutboxSource {
  return {
    async claim(limit) {
      const rows = await db.query<ClaimedRow>("select * from public.claim_pushes($1, $2, $3)", [limit, leaseSeconds, maxAgeSeconds]);
      return rows.map(toRow);
    },
    async claimIds(pushIds) {
      const rows = await db.query<ClaimedRow>("select * from public.claim_pushes_by_id($1::text[], $2)", [pushIds, leaseSeconds]);
      return rows.map(toRow);
    },
    async complete(ids) {
      await db.query("select public.complete_pushes($1::bigint[])", [ids]);
    },
    async completeIds(pushIds) {
      await db.query("select public.complete_pushes_by_id($1::text[])", [pushIds]);
    },
    async release(ids, error) {
      await db.query("select public.release_pushes($1::bigint[], $2)", [ids, error]);
    },
  };
}

/**
 * Supabase mode through PostgREST. `scope: "mine"` runs with the signed-in user's JWT and
 * claims only rows of that user's own changes; `"all"` needs a service-role client (the sweep).
 */
export function createSupabaseOutboxSource(
  supabase: SupabaseClient,
  { scope, leaseSeconds, maxAgeSeconds }: OutboxSourceOptions & { scope: "mine" | "all" },
): OutboxSource {
  const suffix = scope === "mine" ? "my_pushes" : "pushes";
  async function rpc<T>(fn: string, args: Record<string, unknown>): Promise<T> {
    const { data, error } = await supabase.rpc(fn, args);
    if (error) throw new Error(`${fn}: ${error.message}`);
    return data as T;
  }
  return {
    async claim(limit) {
      const rows = await rpc<ClaimedRow[] | null>(`claim_${suffix}`, {
        p_limit: limit,
        p_lease_seconds: leaseSeconds,
        p_max_age_seconds: maxAgeSeconds,
      });
      return (rows ?? []).map(toRow);
    },
    async claimIds(pushIds) {
      const rows = await rpc<ClaimedRow[] | null>(`claim_${suffix}_by_id`, { p_push_ids: pushIds, p_lease_seconds: leaseSeconds });
      return (rows ?? []).map(toRow);
    },
    async complete(ids) {
      await rpc(`complete_${suffix}`, { p_ids: ids });
    },
    async completeIds(pushIds) {
      await rpc(`complete_${suffix}_by_id`, { p_push_ids: pushIds });
    },
    async release(ids, error) {
      await rpc(`release_${suffix}`, { p_ids: ids, p_error: error });
    },
  };
}

// The largest batch body the receiver takes (1 MiB, 500 items) is the contract's.
export { MAX_BATCH_BYTES, MAX_BATCH_ITEMS };
// Room for the envelope `{"type":"batch","data":[…]}` and the commas between items.
const ENVELOPE_BYTES = 64;

export type SendOutcome =
  | { kind: "delivered"; ids: string[]; duplicates: number }
  | { kind: "retry"; ids: string[]; error: string }
  /** Refused for good (malformed, too large): retrying cannot help. */
  | { kind: "refused"; ids: string[]; error: string };

export interface PushSenderOptions {
  /** Socket server base URL (`/webhooks/messages` is appended). */
  url: string;
  /** `whsec_…` secret that signs each push. */
  secret: string;
  /** Items per body; 1 sends single pushes exactly as before batching. */
  batchMax: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
  now?: () => Date;
}

/**
 * Sends claimed rows to the socket server: one signed body per batch (each item keeps its own
 * id for the receiver's dedupe), split to stay under the item and byte limits. A receiver that
 * refuses batch bodies (422 from a socket server that predates them) gets single pushes, and
 * for 5 minutes no batch is tried again.
 */
export function createPushSender({
  url,
  secret,
  batchMax,
  timeoutMs = 5_000,
  fetchImpl = fetch,
  log = console.warn,
  now = () => new Date(),
}: PushSenderOptions) {
  const endpoint = `${url}/webhooks/messages`;
  let singlesUntil = 0;

  async function post(id: string, body: string): Promise<{ status: number; json: unknown } | { error: string }> {
    const signed = signBody(secret, id, body, now());
    try {
      const response = await fetchImpl(endpoint, { method: "POST", headers: signed.headers, body, signal: AbortSignal.timeout(timeoutMs) });
      const json = await response.json().catch(() => null);
      return { status: response.status, json };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  async function sendSingle(row: OutboxRow): Promise<SendOutcome> {
    const result = await post(row.pushId, JSON.stringify(row.push));
    if ("error" in result) return { kind: "retry", ids: [row.id], error: result.error };
    if (result.status >= 200 && result.status < 300) return { kind: "delivered", ids: [row.id], duplicates: result.status === 200 ? 1 : 0 };
    // A wrong secret (401) or an overloaded receiver may be fixed by waiting; a malformed or
    // oversized push never will.
    if (result.status === 413 || result.status === 422 || result.status === 400) {
      return { kind: "refused", ids: [row.id], error: `HTTP ${result.status}` };
    }
    return { kind: "retry", ids: [row.id], error: `HTTP ${result.status}` };
  }

  async function sendBatch(rows: OutboxRow[], items: string[]): Promise<SendOutcome[]> {
    const ids = rows.map((row) => row.id);
    const result = await post(`batch_${randomUUID()}`, `{"type":"batch","data":[${items.join(",")}]}`);
    if ("error" in result) return [{ kind: "retry", ids, error: result.error }];
    if (result.status >= 200 && result.status < 300) {
      const data = (result.json as { data?: { duplicates?: unknown } } | null)?.data;
      return [{ kind: "delivered", ids, duplicates: typeof data?.duplicates === "number" ? data.duplicates : 0 }];
    }
    if (result.status === 413 && rows.length > 1) {
      const half = Math.ceil(rows.length / 2);
      return [...(await sendBatch(rows.slice(0, half), items.slice(0, half))), ...(await sendBatch(rows.slice(half), items.slice(half)))];
    }
    if (result.status === 422 || result.status === 413 || result.status === 400) {
      // A receiver without batch support, or one bad item: single pushes sort it out.
      if (result.status === 422 && Date.now() >= singlesUntil)
        log("the socket server refused a batch push (HTTP 422): sending single pushes for 5 minutes");
      if (result.status === 422) singlesUntil = Date.now() + 5 * 60_000;
      return sendSinglesInOrder(rows);
    }
    return [{ kind: "retry", ids, error: `HTTP ${result.status}` }];
  }

  // Within a conversation one after another, so they arrive in commit order (clients then see
  // no seq gap to repair; after a failure the rest wait behind it); conversations side by side.
  async function sendSinglesInOrder(rows: OutboxRow[]): Promise<SendOutcome[]> {
    const lanes = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const key = row.push.type === "session.revoked" ? `user_${row.push.data.userId}` : row.push.data.conversationId;
      lanes.set(key, [...(lanes.get(key) ?? []), row]);
    }
    const sendLane = async (lane: OutboxRow[]) => {
      const outcomes: SendOutcome[] = [];
      for (const [index, row] of lane.entries()) {
        const outcome = await sendSingle(row);
        outcomes.push(outcome);
        if (outcome.kind === "retry") {
          const rest = lane.slice(index + 1).map((r) => r.id);
          if (rest.length) outcomes.push({ kind: "retry", ids: rest, error: outcome.error });
          break;
        }
      }
      return outcomes;
    };
    return (await Promise.all([...lanes.values()].map(sendLane))).flat();
  }

  return {
    async send(rows: OutboxRow[]): Promise<SendOutcome[]> {
      if (rows.length === 0) return [];
      if (batchMax <= 1 || Date.now() < singlesUntil) return sendSinglesInOrder(rows);
      // Pack items into bodies of at most batchMax items and MAX_BATCH_BYTES.
      const groups: { rows: OutboxRow[]; items: string[]; bytes: number }[] = [];
      let group = { rows: [] as OutboxRow[], items: [] as string[], bytes: ENVELOPE_BYTES };
      for (const row of rows) {
        const item = JSON.stringify({ id: row.pushId, ...row.push });
        const bytes = Buffer.byteLength(item) + 1;
        if (group.rows.length > 0 && (group.rows.length >= Math.min(batchMax, MAX_BATCH_ITEMS) || group.bytes + bytes > MAX_BATCH_BYTES)) {
          groups.push(group);
          group = { rows: [], items: [], bytes: ENVELOPE_BYTES };
        }
        group.rows.push(row);
        group.items.push(item);
        group.bytes += bytes;
      }
      groups.push(group);
      const outcomes = await Promise.all(
        groups.map((g) => (g.rows.length === 1 ? sendSingle(g.rows[0]!).then((o) => [o]) : sendBatch(g.rows, g.items))),
      );
      return outcomes.flat();
    },
  };
}

export type PushSender = ReturnType<typeof createPushSender>;

/**
 * A push whose payload the request holds already, exactly as its trigger wrote the row (a direct
 * message's push is the message the send answers with). It leaves without a claim, and its row
 * is deleted by push id once delivered; until then the row is an ordinary pending one, so after
 * a failure or a crash the general claim or the sweep sends it (a duplicate is dropped by id).
 */
export interface HeldPush {
  pushId: string;
  push: Push;
}

export interface DispatchReport {
  delivered: number;
  duplicates: number;
  retried: number;
  refused: number;
  expired: number;
}

export interface OutboxDispatcherOptions {
  source: OutboxSource;
  sender: PushSender;
  /** Rows per claim (and so at most per batch body). */
  batchMax: number;
  /** While a send is in flight, later pushes gather this long before the next claim. */
  batchWaitMs: number;
  log?: (line: string) => void;
  /** Counts outcomes (Prometheus counter in the app). */
  count?: (result: keyof DispatchReport, n: number) => void;
  /** Batches in flight at once (each its own claimed rows); default 4. */
  maxInFlight?: number;
  /**
   * How long delivered rows gather before one statement deletes them (default 25 ms): under load
   * one delete per many pushes instead of one per push. A row delivered but not yet deleted is
   * at worst sent again (a crash, a sweep in between), which the receiver drops by id.
   */
  deleteDelayMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends what the outbox holds. `kick()` after a request wrote rows: they leave at once while
 * fewer than `maxInFlight` batches are in flight; what arrives while all are (or, with
 * `batchWaitMs` above 0, within that long while any is) leaves together as one signed batch of
 * up to `batchMax` rows. Never throws: a failed claim or send leaves the rows for the next kick,
 * the periodic sweep or the cron route.
 */
export function createOutboxDispatcher({
  source,
  sender,
  batchMax,
  batchWaitMs,
  log = console.warn,
  count = () => {},
  maxInFlight = 4,
  deleteDelayMs = 25,
}: OutboxDispatcherOptions) {
  // Single pushes (batchMax 1) still claim several rows at a time: one claim, many requests.
  const claimLimit = Math.max(batchMax, 20);
  let running: Promise<DispatchReport> | null = null;
  /** A general claim is due (a sweep, a kick without names, a named row that was left). */
  let pending = false;
  /** Push ids the requests wrote: claimed by name, without the general claim's scan. */
  const named = new Set<string>();
  /** Pushes the requests hold (by push id): sent without a claim. */
  const held = new Map<string, Push>();
  let firstPendingAt = 0;
  const hasWork = () => pending || named.size > 0 || held.size > 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  /** Wakes a loop that waits for its sends and deletes to finish: a kick brought work. */
  let wake: (() => void) | null = null;

  // Delivered rows are deleted off the sending path, many per statement (those delivered within
  // `deleteDelayMs` go together): a batch's slot in flight is free once the socket server
  // answered, not once its rows are gone. A delete that fails leaves its rows to be sent again
  // (the receiver drops them by id).
  const done = { ids: [] as string[], pushIds: [] as string[] };
  let deleting: Promise<void> | null = null;
  function deleteDone(): Promise<void> {
    deleting ??= (async () => {
      if (deleteDelayMs > 0) await sleep(deleteDelayMs);
      while (done.ids.length > 0 || done.pushIds.length > 0) {
        const ids = done.ids.splice(0);
        const pushIds = done.pushIds.splice(0);
        try {
          if (ids.length > 0) await source.complete(ids);
          if (pushIds.length > 0) await source.completeIds(pushIds);
        } catch (error) {
          log(`push outbox: delivered rows not deleted (${(error as Error).message}); they will be sent again`);
        }
      }
    })().finally(() => {
      deleting = null;
    });
    return deleting;
  }
  const claimed = {
    complete: async (ids: string[]) => void (done.ids.push(...ids), deleteDone()),
    release: (ids: string[], error: string) => source.release(ids, error),
  };
  // Never leased: a failed one stays due, for the general claim or the sweep.
  const unclaimed = { complete: async (pushIds: string[]) => void (done.pushIds.push(...pushIds), deleteDone()), release: async () => {} };

  /**
   * Sends rows (claimed, or held by a request: `settle` says how each ends) and records the
   * outcome; true when the socket server could not be reached.
   */
  async function deliver(rows: OutboxRow[], report: DispatchReport, settle = claimed): Promise<boolean> {
    const expired = rows.filter((row) => row.expired);
    const due = rows.filter((row) => !row.expired);
    for (const row of expired) log(`push ${row.pushId} dropped: older than the outbox's max age (${row.attempts} attempts)`);
    if (expired.length) {
      report.expired += expired.length;
      count("expired", expired.length);
    }
    let failed = false;
    const outcomes = await sender.send(due);
    const done: string[] = [];
    const retry = new Map<string, string[]>();
    for (const outcome of outcomes) {
      if (outcome.kind === "delivered") {
        done.push(...outcome.ids);
        report.delivered += outcome.ids.length - outcome.duplicates;
        report.duplicates += outcome.duplicates;
        count("delivered", outcome.ids.length - outcome.duplicates);
        if (outcome.duplicates) count("duplicates", outcome.duplicates);
      } else if (outcome.kind === "refused") {
        done.push(...outcome.ids);
        report.refused += outcome.ids.length;
        count("refused", outcome.ids.length);
        log(`push refused by the socket server (${outcome.error}), dropped: ${outcome.ids.length} item(s)`);
      } else {
        failed = true;
        retry.set(outcome.error, [...(retry.get(outcome.error) ?? []), ...outcome.ids]);
        report.retried += outcome.ids.length;
        count("retried", outcome.ids.length);
      }
    }
    if (done.length) await settle.complete(done);
    for (const [error, ids] of retry) {
      log(`push delivery failed (${error}); ${ids.length} item(s) will be retried`);
      await settle.release(ids, error);
    }
    return failed;
  }

  async function loop(): Promise<DispatchReport> {
    const report: DispatchReport = { delivered: 0, duplicates: 0, retried: 0, refused: 0, expired: 0 };
    // Batches in flight: while one waits for the socket server the next claim already runs (the
    // rows are leased, so they never overlap), and marking rows done stays off that path.
    const inFlight = new Set<Promise<void>>();
    let failed = false;
    const send = async (rows: OutboxRow[], settle = claimed) => {
      const work = deliver(rows, report, settle).then(
        (sendFailed) => void (failed ||= sendFailed),
        (error: Error) => void log(`push outbox dispatch failed: ${error.message}`),
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    };
    try {
      for (;;) {
        while (hasWork() && !failed) {
          // Idle: leave at once. A send in flight: let the pushes that arrived meanwhile gather a moment.
          const wait = firstPendingAt + batchWaitMs - Date.now();
          if (inFlight.size > 0 && wait > 0) await sleep(wait);
          // What the requests hold: no claim at all (the row was written by their transaction).
          if (held.size > 0) {
            const now = new Date();
            const rows: OutboxRow[] = [];
            for (const [pushId, push] of held) {
              if (rows.length >= claimLimit) break;
              held.delete(pushId);
              rows.push({ id: pushId, pushId, push, attempts: 0, createdAt: now, expired: false });
            }
            await send(rows, unclaimed);
            continue;
          }
          // What the requests wrote, by name: one lookup for all that gathered.
          if (named.size > 0) {
            const ids = [...named].slice(0, claimLimit);
            for (const id of ids) named.delete(id);
            const rows = await source.claimIds(ids);
            // Left (leased, in backoff, behind an older row, or sent already): the general claim decides.
            if (rows.length < ids.length) pending = true;
            if (rows.length > 0) await send(rows);
            continue;
          }
          pending = false;
          // Drain: full claims mean more may be waiting; a failed send stops until the backoff.
          while (!failed) {
            const rows = await source.claim(claimLimit);
            if (rows.length === 0) break;
            await send(rows);
            if (rows.length < claimLimit) break;
          }
        }
        // Nothing to claim now, but sends or deletes are under way. A kick in the meantime is
        // served at once, not after them: a push must not wait for an earlier push's answer or
        // for the database to delete delivered rows (slow while Postgres is busy).
        const busy: Promise<unknown>[] = [...inFlight, ...(deleting ? [deleting] : [])];
        if (failed || busy.length === 0) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
          void Promise.race(busy).then(() => resolve());
        });
        wake = null;
      }
    } catch (error) {
      log(`push outbox dispatch failed: ${(error as Error).message}`);
    }
    await Promise.all(inFlight);
    // Resolved once what was delivered is gone too.
    while (deleting) await deleting;
    return report;
  }

  const dispatcher = {
    /**
     * Sends what is due now; resolves when this process has nothing more to send. `pushIds`: the
     * rows a request just wrote, claimed by name (the general claim runs only for what they leave);
     * `pushes`: rows whose payload the request holds, sent without a claim (see `HeldPush`).
     */
    kick(pushIds?: readonly string[], pushes: readonly HeldPush[] = []): Promise<DispatchReport> {
      if (!hasWork()) firstPendingAt = Date.now();
      if (pushIds) for (const id of pushIds) named.add(id);
      else pending = true;
      for (const { pushId, push } of pushes) held.set(pushId, push);
      wake?.();
      running ??= loop().finally(() => {
        running = null;
        // A kick that landed after the last claim must not wait for the sweep.
        if (hasWork()) void dispatcher.kick([]);
      });
      return running;
    },
    /** A sweep every `intervalMs` (long-lived processes). */
    start(intervalMs: number) {
      timer ??= setInterval(() => void dispatcher.kick(), intervalMs);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
  return dispatcher;
}

export type OutboxDispatcher = ReturnType<typeof createOutboxDispatcher>;

/** One sweep (the cron route): what was sent, or why nothing could be. */
export async function sweepPushOutbox(
  sweeper: OutboxDispatcher | null,
): Promise<({ swept: true } & DispatchReport) | { swept: false; reason: string }> {
  if (!sweeper) return { swept: false, reason: "no privileged outbox path in this mode (Supabase: set SUPABASE_SERVICE_ROLE_KEY)" };
  return { swept: true, ...(await sweeper.kick()) };
}
