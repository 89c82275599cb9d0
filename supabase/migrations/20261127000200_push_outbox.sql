-- The push outbox: every push to the socket server is a row written in the same transaction as
-- the change it announces, so a crash after the commit, or a socket tier that is down for
-- hours, delays a push but never loses it. A dispatcher in each web process claims rows (a
-- lease: FOR UPDATE SKIP LOCKED, then locked_until), sends them, and deletes them once the
-- socket server answers 2xx; a failure releases them with a capped backoff (next_attempt_at).
-- Rows older than the dispatcher's max age are dropped by the claim.
--
-- Writes happen in triggers on the changed tables (not in the functions that change them), so
-- later migrations may `create or replace` those functions freely.

create table public.push_outbox (
  id bigint generated always as identity primary key,
  -- The receiver's dedupe key (webhook-id of a single push, item id in a batch): msg_<id>, …
  push_id text not null,
  type text not null check (type in ('message.created', 'read.updated', 'session.revoked')),
  payload jsonb not null,
  -- Whose change wrote it: the per-request dispatch in Supabase mode claims only its caller's rows.
  user_id uuid,
  created_at timestamptz not null default now(),
  -- Due time: later after each failed attempt (backoff).
  next_attempt_at timestamptz not null default now(),
  -- A dispatcher's lease: until then no other dispatcher claims the row.
  locked_until timestamptz,
  attempts integer not null default 0,
  last_error text,
  constraint push_outbox_push_id_key unique (push_id)
);
create index push_outbox_user_idx on public.push_outbox (user_id, id);

-- Row level security on and no policy for anyone: users can never read or write the rows,
-- not even their own. Only the owner (the web app's direct connection) and the functions
-- below (SECURITY DEFINER) touch the table.
alter table public.push_outbox enable row level security;
revoke all on public.push_outbox from public, anon, authenticated;

-- What a message, a read position and a revoked session push, in the shapes the socket server
-- validates (camelCase, ISO timestamps with milliseconds as JavaScript prints them).
create function public.push_outbox_on_message()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.push_outbox (push_id, type, user_id, payload)
  values (
    'msg_' || new.id, 'message.created', new.sender_id,
    jsonb_build_object(
      'id', new.id, 'conversationId', new.conversation_id, 'seq', new.seq,
      'senderId', new.sender_id, 'recipientId', new.recipient_id, 'content', new.content,
      'clientId', new.client_id,
      'createdAt', to_char(new.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    )
  )
  on conflict on constraint push_outbox_push_id_key do nothing;
  return null;
end;
$$;

create trigger messages_push_outbox
  after insert on public.messages
  for each row execute function public.push_outbox_on_message();

create function public.push_outbox_on_read()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_peer uuid;
begin
  select case when c.user_a = new.user_id then c.user_b else c.user_a end into v_peer
  from public.conversations c where c.id = new.conversation_id;
  insert into public.push_outbox (push_id, type, user_id, payload)
  values (
    'read_' || new.conversation_id || '_' || new.user_id || '_' || new.last_read_seq, 'read.updated', new.user_id,
    jsonb_build_object('conversationId', new.conversation_id, 'userId', new.user_id, 'peerId', v_peer, 'lastReadSeq', new.last_read_seq)
  )
  on conflict on constraint push_outbox_push_id_key do nothing;
  return null;
end;
$$;

-- Only a position that moved is news (mark_read's upsert also touches unchanged rows).
create trigger conversation_reads_push_outbox_insert
  after insert on public.conversation_reads
  for each row execute function public.push_outbox_on_read();
create trigger conversation_reads_push_outbox_update
  after update on public.conversation_reads
  for each row when (old.last_read_seq is distinct from new.last_read_seq)
  execute function public.push_outbox_on_read();

-- Records that a session ended. The embedded issuer calls it in the transaction that revokes
-- the session; in Supabase mode the app calls enqueue_session_revoked() (below) after
-- Supabase Auth's logout, since Supabase's session store is not ours to write in.
create function public.enqueue_session_revoked_for(p_user_id uuid, p_session_id uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.push_outbox (push_id, type, user_id, payload)
  values (
    'revoke_' || p_user_id || '_' || coalesce(p_session_id::text, 'all_' || gen_random_uuid()), 'session.revoked', p_user_id,
    jsonb_build_object('userId', p_user_id, 'sessionId', p_session_id)
  )
  on conflict on constraint push_outbox_push_id_key do nothing;
$$;

-- Supabase mode, as the signed-in user: only the caller's own session (the JWT's session_id).
create function public.enqueue_session_revoked()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := (select auth.uid());
  v_session text := current_setting('request.jwt.claims', true)::jsonb ->> 'session_id';
begin
  if v_me is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  perform public.enqueue_session_revoked_for(
    v_me, case when v_session ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then v_session::uuid end
  );
end;
$$;

-- Claims up to p_limit rows for p_lease_seconds (p_user: only that user's rows), oldest first,
-- once the oldest unclaimed row is due: pushes leave in commit order, and after a failure they
-- all wait for its backoff (head of line) instead of overtaking it. Drops the rows older than
-- p_max_age_seconds, returning them with expired = true so the caller can log and count them.
-- SKIP LOCKED: concurrent dispatchers take disjoint rows without waiting for each other.
create function public.claim_pushes_internal(p_limit integer, p_lease_seconds integer, p_max_age_seconds integer, p_user uuid)
returns table (id bigint, push_id text, type text, payload jsonb, attempts integer, created_at timestamptz, expired boolean)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_cutoff timestamptz := now() - make_interval(secs => greatest(p_max_age_seconds, 1));
begin
  return query
    with dropped as (
      delete from public.push_outbox o
      where o.id in (
        select x.id from public.push_outbox x
        where x.created_at < v_cutoff and (p_user is null or x.user_id = p_user)
        order by x.id
        limit 1000
        for update skip locked
      )
      returning o.id, o.push_id, o.type, o.payload, o.attempts, o.created_at, true
    ), claimed as (
      update public.push_outbox o
      set locked_until = now() + make_interval(secs => least(greatest(p_lease_seconds, 1), 600)), attempts = o.attempts + 1
      where o.id in (
        select x.id from public.push_outbox x
        where (x.locked_until is null or x.locked_until <= now()) and x.created_at >= v_cutoff and (p_user is null or x.user_id = p_user)
          and (
            -- Head of line per user: a row waits behind its own user's oldest pending row, so
            -- one user's backoff (which release_my_pushes lets them set) never holds another's.
            select h.next_attempt_at from public.push_outbox h
            where (h.locked_until is null or h.locked_until <= now()) and h.created_at >= v_cutoff and h.user_id = x.user_id
            order by h.id limit 1
          ) <= now()
        order by x.id
        limit least(greatest(p_limit, 1), 1000)
        for update skip locked
      )
      returning o.id, o.push_id, o.type, o.payload, o.attempts, o.created_at, false
    )
    select * from dropped
    union all
    select * from claimed order by 1;
end;
$$;

-- Delivered (2xx): gone. p_user: only that user's rows.
create function public.complete_pushes_internal(p_ids bigint[], p_user uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  delete from public.push_outbox o where o.id = any (p_ids) and (p_user is null or o.user_id = p_user);
$$;

-- Not delivered: due again after a backoff that doubles per attempt (0.5 s, 1 s, 2 s … 30 s).
create function public.release_pushes_internal(p_ids bigint[], p_error text, p_user uuid)
returns void
language sql
security definer
set search_path = ''
as $$
  update public.push_outbox o
  set next_attempt_at = now() + make_interval(secs => least(30, 0.5 * power(2, least(greatest(o.attempts - 1, 0), 10)))),
      locked_until = null,
      last_error = left(p_error, 500)
  where o.id = any (p_ids) and (p_user is null or o.user_id = p_user);
$$;

-- The privileged sweep: every user's rows. For the web app's own connection (embedded and
-- DATABASE_URL modes, which run as the owner) and, in Supabase mode, the service role.
create function public.claim_pushes(p_limit integer, p_lease_seconds integer, p_max_age_seconds integer)
returns table (id bigint, push_id text, type text, payload jsonb, attempts integer, created_at timestamptz, expired boolean)
language sql
security definer
set search_path = ''
as $$
  select * from public.claim_pushes_internal(p_limit, p_lease_seconds, p_max_age_seconds, null);
$$;

create function public.complete_pushes(p_ids bigint[])
returns void
language sql
security definer
set search_path = ''
as $$
  select public.complete_pushes_internal(p_ids, null);
$$;

create function public.release_pushes(p_ids bigint[], p_error text)
returns void
language sql
security definer
set search_path = ''
as $$
  select public.release_pushes_internal(p_ids, p_error, null);
$$;

-- The per-request dispatch in Supabase mode, as the signed-in user: only rows of the caller's
-- own changes (their messages, read positions, sign-outs), whose content they already know.
create function public.claim_my_pushes(p_limit integer, p_lease_seconds integer, p_max_age_seconds integer)
returns table (id bigint, push_id text, type text, payload jsonb, attempts integer, created_at timestamptz, expired boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := (select auth.uid());
begin
  if v_me is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  -- At least an hour of age: a user cannot use a tiny max age to wipe anything but their own rows,
  -- and cannot make their own rows vanish faster than the sweep would retry them.
  return query select * from public.claim_pushes_internal(least(p_limit, 500), p_lease_seconds, greatest(p_max_age_seconds, 3600), v_me);
end;
$$;

create function public.complete_my_pushes(p_ids bigint[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  perform public.complete_pushes_internal(p_ids, (select auth.uid()));
end;
$$;

create function public.release_my_pushes(p_ids bigint[], p_error text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  perform public.release_pushes_internal(p_ids, p_error, (select auth.uid()));
end;
$$;

revoke execute on function
  public.push_outbox_on_message, public.push_outbox_on_read, public.enqueue_session_revoked_for,
  public.claim_pushes_internal, public.complete_pushes_internal, public.release_pushes_internal,
  public.claim_pushes, public.complete_pushes, public.release_pushes,
  public.enqueue_session_revoked, public.claim_my_pushes, public.complete_my_pushes, public.release_my_pushes
  from public, anon, authenticated;
grant execute on function public.claim_pushes, public.complete_pushes, public.release_pushes to service_role;
grant execute on function public.enqueue_session_revoked, public.claim_my_pushes, public.complete_my_pushes, public.release_my_pushes
  to authenticated;
