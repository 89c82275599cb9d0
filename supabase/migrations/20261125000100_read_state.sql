-- Read state and profile editing. Each participant's read position per conversation is one
-- row (not one per message); unread counts are derived from it.

create table public.conversation_reads (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  -- Every message with seq <= last_read_seq has been read by user_id.
  last_read_seq bigint not null default 0 check (last_read_seq >= 0),
  updated_at timestamptz not null default now(),
  primary key (conversation_id, user_id)
);
create index conversation_reads_user_idx on public.conversation_reads (user_id);

alter table public.conversation_reads enable row level security;

-- Both participants see both positions: that is how the sender shows "Seen".
create policy "members read their conversations' read state"
  on public.conversation_reads for select to authenticated
  using (exists (
    select 1 from public.conversations c
    where c.id = conversation_id and (select auth.uid()) in (c.user_a, c.user_b)
  ));

create policy "members record their own reading"
  on public.conversation_reads for insert to authenticated
  with check (user_id = (select auth.uid()) and exists (
    select 1 from public.conversations c
    where c.id = conversation_id and (select auth.uid()) in (c.user_a, c.user_b)
  ));

create policy "members move their own read position"
  on public.conversation_reads for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

revoke all on public.conversation_reads from anon, authenticated;
grant select, insert (conversation_id, user_id, last_read_seq), update (last_read_seq, updated_at)
  on public.conversation_reads to authenticated;

-- Marks the conversation with p_peer_id read up to p_seq (clamped to what exists). The
-- position only moves forward, so a late, stale request cannot un-read messages.
create function public.mark_read(p_peer_id uuid, p_seq bigint)
returns table (conversation_id uuid, user_id uuid, peer_id uuid, last_read_seq bigint)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := (select auth.uid());
  v_conversation uuid;
  v_last_seq bigint;
begin
  select c.id, c.last_seq into v_conversation, v_last_seq
  from public.conversations c
  where c.user_a = least(v_me, p_peer_id) and c.user_b = greatest(v_me, p_peer_id);
  if v_conversation is null then
    return;
  end if;
  return query
    insert into public.conversation_reads as r (conversation_id, user_id, last_read_seq)
    values (v_conversation, v_me, greatest(0, least(p_seq, v_last_seq)))
    on conflict on constraint conversation_reads_pkey
    do update set last_read_seq = greatest(r.last_read_seq, excluded.last_read_seq), updated_at = now()
    returning r.conversation_id, r.user_id, p_peer_id, r.last_read_seq;
end;
$$;

-- The conversation list, now with read state: the caller's unread count and both positions.
drop function public.list_conversations(integer);
create function public.list_conversations(p_limit integer)
returns table (
  conversation_id uuid, last_message_at timestamptz,
  peer_id uuid, peer_email text, peer_display_name text,
  message_id uuid, seq bigint, sender_id uuid, recipient_id uuid, content text, client_id uuid, created_at timestamptz,
  last_read_seq bigint, peer_last_read_seq bigint, unread_count bigint
)
language sql
stable
security invoker
set search_path = ''
as $$
  select c.id, c.last_message_at,
         p.id, p.email, p.display_name,
         m.id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at,
         coalesce(mine.last_read_seq, 0), coalesce(theirs.last_read_seq, 0),
         (select count(*) from public.messages u
          where u.conversation_id = c.id and u.seq > coalesce(mine.last_read_seq, 0) and u.sender_id <> (select auth.uid()))
  from public.conversations c
  join public.profiles p on p.id = case when c.user_a = (select auth.uid()) then c.user_b else c.user_a end
  join lateral (
    select * from public.messages lm where lm.conversation_id = c.id order by lm.seq desc limit 1
  ) m on true
  left join public.conversation_reads mine on mine.conversation_id = c.id and mine.user_id = (select auth.uid())
  left join public.conversation_reads theirs on theirs.conversation_id = c.id and theirs.user_id = p.id
  where c.user_a = (select auth.uid()) or c.user_b = (select auth.uid())
  order by c.last_message_at desc
  limit p_limit;
$$;

-- Sets the caller's display name (null: back to the email).
create function public.update_profile(p_display_name text)
returns setof public.profiles
language sql
security invoker
set search_path = ''
as $$
  update public.profiles set display_name = nullif(btrim(p_display_name), '')
  where id = (select auth.uid())
  returning *;
$$;

-- The caller's own message with this client_id: lets a retry learn that its send went through.
create function public.get_sent_message(p_client_id uuid)
returns setof public.messages
language sql
stable
security invoker
set search_path = ''
as $$
  select m.* from public.messages m where m.sender_id = (select auth.uid()) and m.client_id = p_client_id;
$$;

revoke execute on function public.mark_read, public.list_conversations, public.update_profile, public.get_sent_message
  from public, anon;
grant execute on function public.mark_read, public.list_conversations, public.update_profile, public.get_sent_message
  to authenticated;
