import type { SupabaseClient } from "@supabase/supabase-js";
import { createPeriodicJob } from "@/server/periodic";
import type { FileStorage } from "@/server/storage/types";
import type { SqlClient } from "@/server/store/sql/client";

/** What the sweep may remove: an attachment's row id and its objects. */
export interface SweepItem {
  id: string;
  keys: string[];
}

/**
 * The privileged side of the cleanup: uploads no message took within 24 h, and the files of
 * deleted messages (claim_attachment_sweep), then their rows once the files are gone. SQL runs
 * as the database owner; Supabase needs the service role.
 */
export interface AttachmentSweepSource {
  claim(limit: number): Promise<SweepItem[]>;
  forget(ids: string[]): Promise<void>;
}

interface ClaimRow {
  id: string;
  storage_key: string;
  preview_key: string;
}
const toItem = (row: ClaimRow): SweepItem => ({ id: row.id, keys: [row.storage_key, row.preview_key] });

export function createSqlAttachmentSweepSource(db: SqlClient): AttachmentSweepSource {
  return {
    async claim(limit) {
      return (await db.query<ClaimRow>("select * from public.claim_attachment_sweep($1)", [limit])).map(toItem);
    },
    async forget(ids) {
      await db.query("select public.delete_swept_attachments($1::uuid[])", [ids]);
    },
  };
}

/** `supabase` must carry the service role key (the functions are granted to service_role only). */
export function createSupabaseAttachmentSweepSource(supabase: SupabaseClient): AttachmentSweepSource {
  return {
    async claim(limit) {
      const { data, error } = await supabase.rpc("claim_attachment_sweep", { p_limit: limit });
      if (error) throw new Error(`claim_attachment_sweep failed: ${error.message}`);
      return ((data ?? []) as ClaimRow[]).map(toItem);
    },
    async forget(ids) {
      const { error } = await supabase.rpc("delete_swept_attachments", { p_ids: ids });
      if (error) throw new Error(`delete_swept_attachments failed: ${error.message}`);
    },
  };
}

const BATCH = 100;
const MAX_BATCHES = 20;

/**
 * Removes what the source hands out: files first, then the rows (a crash in between leaves
 * rows whose files are gone, removed again next time: removing a missing file is fine).
 */
export function createAttachmentSweeper({
  source,
  storage,
  log,
}: {
  source: AttachmentSweepSource;
  storage: FileStorage;
  log: (line: string) => void;
}) {
  async function sweep(): Promise<{ removed: number }> {
    let removed = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const items = await source.claim(BATCH);
      if (items.length === 0) break;
      await storage.remove(items.flatMap((item) => item.keys));
      await source.forget(items.map((item) => item.id));
      removed += items.length;
      if (items.length < BATCH) break;
    }
    return { removed };
  }

  const job = createPeriodicJob(sweep, { onError: (error) => log(`attachment sweep failed: ${error.message}`) });
  return {
    /** One sweep; a call while one runs joins it. */
    sweep: job.run,
    /** A sweep every `intervalMs` (long-lived processes). */
    start: job.start,
    stop: job.stop,
  };
}

export type AttachmentSweeper = ReturnType<typeof createAttachmentSweeper>;
