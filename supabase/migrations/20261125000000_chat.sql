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

  new.created_at := now();
  return new;
end;
$$;

create trigger messages_assign_position
  before insert on public.messages
  for each row execute function public.assign_message_position();

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
