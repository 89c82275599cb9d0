-- The one schema of the chat. Supabase, any Postgres and the embedded PGlite all run this file.
-- It relies on what Supabase provides: the auth schema (auth.users, auth.uid()) and the
-- anon / authenticated / service_role roles. Elsewhere a small shim creates those first.

-- Profiles: the public face of auth.users, filled by a trigger.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  display_name text check (display_name is null or char_length(display_name) between 1 and 80),
  created_at timestamptz not null default now()
);
-- Prefix search by email (`lower(email) like 'abc%'`).
create index profiles_email_prefix_idx on public.profiles (lower(email) text_pattern_ops);

create function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, email) values (new.id, lower(new.email))
  on conflict (id) do nothing;
  return new;
end;
$$;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

-- One row per pair of users. user_a < user_b so a pair has exactly one row.
create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  user_a uuid not null references public.profiles (id) on delete cascade,
  user_b uuid not null references public.profiles (id) on delete cascade,
  -- Last position handed out; bumped under the row lock by assign_message_position().
  last_seq bigint not null default 0,
  last_message_at timestamptz,
  created_at timestamptz not null default now(),
  constraint conversations_users_ordered check (user_a < user_b),
  constraint conversations_users_key unique (user_a, user_b)
);
create index conversations_user_a_activity_idx on public.conversations (user_a, last_message_at desc);
create index conversations_user_b_activity_idx on public.conversations (user_b, last_message_at desc);

create table public.messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  -- Position within the conversation, in commit order (see assign_message_position).
  seq bigint not null,
  sender_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  recipient_id uuid not null references public.profiles (id) on delete cascade,
  content text not null check (char_length(content) between 1 and 4000),
  -- Chosen by the sending client; makes retries idempotent.
  client_id uuid not null,
  created_at timestamptz not null default now(),
  constraint messages_not_to_self check (sender_id <> recipient_id),
  constraint messages_conversation_seq_key unique (conversation_id, seq),
  constraint messages_sender_client_key unique (sender_id, client_id)
);
create index messages_recipient_idx on public.messages (recipient_id);

-- Why `after=` never skips a message: the upsert below takes the conversation's row lock and
-- holds it until the inserting transaction ends. A second insert into the same conversation
-- waits for that lock, so it gets a larger seq AND commits later. Hence, within a
-- conversation, seq order is commit order, and a reader that has seen seq N has already been
-- able to see every message with a smaller seq.
create function public.assign_message_position()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A retry of a stored message must not burn a position; the insert will hit the
  -- (sender_id, client_id) key and be ignored by ON CONFLICT DO NOTHING.
  if exists (select 1 from public.messages m where m.sender_id = new.sender_id and m.client_id = new.client_id) then
    new.conversation_id := coalesce(new.conversation_id, '00000000-0000-0000-0000-000000000000');
    new.seq := 0;
    return new;
  end if;

  insert into public.conversations as c (user_a, user_b, last_seq, last_message_at)
  values (least(new.sender_id, new.recipient_id), greatest(new.sender_id, new.recipient_id), 1, now())
  on conflict (user_a, user_b)
  do update set last_seq = c.last_seq + 1, last_message_at = now()
  returning c.id, c.last_seq into new.conversation_id, new.seq;

  -- A concurrent twin (same sender and client_id) may have committed while we waited for the
  -- row lock: give the position back, so a retry race leaves no gap.
  if exists (select 1 from public.messages m where m.sender_id = new.sender_id and m.client_id = new.client_id) then
    update public.conversations set last_seq = last_seq - 1 where id = new.conversation_id;
    new.seq := 0;
    return new;
  end if;

  new.created_at := now();
  return new;
end;
$$;

create trigger messages_assign_position
  before insert on public.messages
  for each row execute function public.assign_message_position();

-- The chat's queries, as functions so that every backend runs the same SQL: the embedded and
-- `pg` stores call them directly, the Supabase store through PostgREST (/rest/v1/rpc/...).
-- All are SECURITY INVOKER: they run as the signed-in user, under row level security.

-- Stores a message once per (sender, client_id); `created` is false when it already existed.
create function public.send_message(p_recipient_id uuid, p_content text, p_client_id uuid)
returns table (
  id uuid, conversation_id uuid, seq bigint, sender_id uuid, recipient_id uuid,
  content text, client_id uuid, created_at timestamptz, created boolean
)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
    insert into public.messages as m (sender_id, recipient_id, content, client_id)
    values ((select auth.uid()), p_recipient_id, p_content, p_client_id)
    on conflict on constraint messages_sender_client_key do nothing
    returning m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at, true;
  if found then
    return;
  end if;
  -- A retry, or a concurrent twin that committed first: answer with the stored message.
  return query
    select m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at, false
    from public.messages m
    where m.sender_id = (select auth.uid()) and m.client_id = p_client_id;
end;
$$;

-- One page of the conversation with p_peer_id, oldest first. p_before pages back from a
-- message, p_after catches up after one. A cursor outside this conversation is an error
-- (SQLSTATE 22023) rather than an empty page, so a client cannot mistake it for "no more".
create function public.get_messages(p_peer_id uuid, p_limit integer, p_before uuid default null, p_after uuid default null)
returns setof public.messages
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := (select auth.uid());
  v_conversation uuid;
  v_cursor_seq bigint;
  v_cursor uuid := coalesce(p_before, p_after);
begin
  select c.id into v_conversation
  from public.conversations c
  where c.user_a = least(v_me, p_peer_id) and c.user_b = greatest(v_me, p_peer_id);

  if v_cursor is not null then
    select m.seq into v_cursor_seq from public.messages m where m.id = v_cursor and m.conversation_id = v_conversation;
    if v_cursor_seq is null then
      raise exception 'cursor % is not a message of this conversation', v_cursor using errcode = '22023';
    end if;
  end if;
  if v_conversation is null then
    return;
  end if;

  if p_after is not null then
    return query
      select m.* from public.messages m
      where m.conversation_id = v_conversation and m.seq > v_cursor_seq
      order by m.seq asc
      limit p_limit;
  else
    return query
      select page.* from (
        select m.* from public.messages m
        where m.conversation_id = v_conversation and (v_cursor_seq is null or m.seq < v_cursor_seq)
        order by m.seq desc
        limit p_limit
      ) page
      order by page.seq asc;
  end if;
end;
$$;

-- The caller's conversations with the peer's profile and the last message, newest first.
create function public.list_conversations(p_limit integer)
returns table (
  conversation_id uuid, last_message_at timestamptz,
  peer_id uuid, peer_email text, peer_display_name text,
  message_id uuid, seq bigint, sender_id uuid, recipient_id uuid, content text, client_id uuid, created_at timestamptz
)
language sql
stable
security invoker
set search_path = ''
as $$
  select c.id, c.last_message_at,
         p.id, p.email, p.display_name,
         m.id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at
  from public.conversations c
  join public.profiles p on p.id = case when c.user_a = (select auth.uid()) then c.user_b else c.user_a end
  join lateral (
    select * from public.messages lm where lm.conversation_id = c.id order by lm.seq desc limit 1
  ) m on true
  where c.user_a = (select auth.uid()) or c.user_b = (select auth.uid())
  order by c.last_message_at desc
  limit p_limit;
$$;

-- Users whose email starts with p_prefix (wildcards in it are literal), without the caller.
create function public.search_profiles(p_prefix text, p_limit integer)
returns setof public.profiles
language sql
stable
security invoker
set search_path = ''
as $$
  select p.* from public.profiles p
  where lower(p.email) like replace(replace(replace(lower(p_prefix), '\', '\\'), '%', '\%'), '_', '\_') || '%'
    and p.id <> (select auth.uid())
  order by lower(p.email)
  limit p_limit;
$$;

-- One profile by id (empty when there is none).
create function public.get_profile(p_profile_id uuid)
returns setof public.profiles
language sql
stable
security invoker
set search_path = ''
as $$
  select p.* from public.profiles p where p.id = p_profile_id;
$$;

revoke execute on function public.send_message, public.get_messages, public.list_conversations, public.search_profiles,
  public.get_profile from public, anon;
grant execute on function public.send_message, public.get_messages, public.list_conversations, public.search_profiles,
  public.get_profile to authenticated;
revoke execute on function public.handle_new_user, public.assign_message_position from public, anon, authenticated;

-- Row level security: every table, policies for the authenticated role only.
alter table public.profiles enable row level security;
alter table public.conversations enable row level security;
alter table public.messages enable row level security;

create policy "profiles are visible to signed-in users"
  on public.profiles for select to authenticated
  using (true);

create policy "users update their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

create policy "members read their conversations"
  on public.conversations for select to authenticated
  using ((select auth.uid()) in (user_a, user_b));

create policy "members read their messages"
  on public.messages for select to authenticated
  using ((select auth.uid()) in (sender_id, recipient_id));

create policy "users send as themselves"
  on public.messages for insert to authenticated
  with check (sender_id = (select auth.uid()) and recipient_id <> (select auth.uid()));

-- No update or delete policies: messages are immutable, conversations are kept by the trigger.
revoke all on public.profiles, public.conversations, public.messages from anon, authenticated;
grant select, update (display_name) on public.profiles to authenticated;
grant select on public.conversations to authenticated;
grant select, insert (recipient_id, content, client_id, sender_id) on public.messages to authenticated;
