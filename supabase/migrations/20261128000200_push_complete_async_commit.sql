-- Deleting delivered pushes without waiting for the disk. The outbox adds two commits per
-- message: the send's own (which writes the row and must be durable, like the message) and,
-- after delivery, the dispatcher's delete. The delete needs no flush: if the server crashes
-- before its WAL reaches the disk, the row comes back and is sent again, and the receiver drops
-- the duplicate by push id (the outbox already promises at least once). With
-- synchronous_commit off for that transaction only, the deletes stop queueing for the WAL flush
-- in front of the sends' commits. Postgres writes them out within wal_writer_delay (200 ms).
-- Same arguments, rows and rights as before; set_config(…, true) lasts until the end of the
-- caller's transaction (a function's SET clause would be undone before the commit).
create or replace function public.complete_pushes_internal(p_ids bigint[], p_user uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  select set_config('synchronous_commit', 'off', true);
  delete from public.push_outbox o where o.id = any (p_ids) and (p_user is null or o.user_id = p_user);
$$;

create or replace function public.complete_pushes_by_id_internal(p_push_ids text[], p_user uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform set_config('synchronous_commit', 'off', true);
  delete from public.push_outbox o where o.push_id = any (p_push_ids[1:1000]) and (p_user is null or o.user_id = p_user);
end;
$$;
