-- Privacy and the app's rules in the database itself. In Supabase mode a signed-in user can call
-- PostgREST directly with their JWT, so nothing the route handlers check may be skipped that way:
--   * profiles are readable by their owner and conversation peers only; strangers are found by
--     their exact email address (search_profiles);
--   * the functions are the only write path: no INSERT/UPDATE/DELETE grants on any table, the
--     writing functions are SECURITY DEFINER and check auth.uid() themselves;
--   * content, display names, the history limit, read positions and a per-user send limit follow
--     the same rules as the zod schemas in web/lib/validations/chat.ts.
--
-- Errors raised on purpose use SQLSTATE `PT<http status>` (PostgREST answers with that status),
-- the API's error code in HINT and extra data in DETAIL (the field, or Retry-After seconds).
-- Both stores translate them the same way (web/server/store/sql/errors.ts).

-- ---------------------------------------------------------------------------------------------
-- Helpers (not callable by users)

-- What JavaScript's String.prototype.trim() removes (and zod's .trim()): White_Space plus BOM.
create function public.chat_trim(p_value text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select btrim(p_value, E' \t\n\u000b\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff');
$$;

create function public.raise_invalid(p_field text, p_message text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  raise exception using errcode = 'PT422', message = p_message, detail = p_field, hint = 'validation_failed';
end;
$$;

-- True when the text has nothing visible: only whitespace (JavaScript's \s) and format
-- characters (\p{Cf}, as of Unicode 17), e.g. zero-width spaces. An empty message in disguise.
-- IMPORTANT: keep in step with JavaScript's /[\s\p{Cf}]/u; web/test/sql-text.test.ts compares both.
create function public.is_invisible_text(p_value text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_value ~ ('^[\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'
    '\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064'
    '\u2066-\u206f\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3'
    '\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]*$');
$$;

-- The message as stored (trimmed), or PT422. NUL and lone surrogates need no check: a UTF-8
-- text value cannot hold them, the database refuses them on input.
create function public.checked_message_content(p_content text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_content text := public.chat_trim(p_content);
begin
  if p_content is null then
    perform public.raise_invalid('content', 'content must be a string');
  end if;
  -- Explicit bidi overrides and isolates spoof text ("evil\u202Etxt.exe").
  if p_content ~ '[\u202a-\u202e\u2066-\u2069]' then
    perform public.raise_invalid('content', 'content must not contain bidirectional override characters');
  end if;
  if v_content = '' then
    perform public.raise_invalid('content', 'content must not be empty');
  end if;
  if public.is_invisible_text(v_content) then
    perform public.raise_invalid('content', 'content must not be only invisible characters');
  end if;
  if char_length(v_content) > 4000 then
    perform public.raise_invalid('content', 'content must be at most 4000 characters');
  end if;
  return v_content;
end;
$$;

-- The display name as stored (trimmed; empty means none), or PT422.
create function public.checked_display_name(p_display_name text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_name text := nullif(public.chat_trim(p_display_name), '');
begin
  if p_display_name ~ '[\u0001-\u001f\u007f\u202a-\u202e\u2066-\u2069]' then
    perform public.raise_invalid('displayName', 'displayName has characters that are not allowed');
  end if;
  if char_length(v_name) > 80 then
    perform public.raise_invalid('displayName', 'displayName must be at most 80 characters');
  end if;
  return v_name;
end;
$$;

-- The caller's id, or PT401 (no signed-in user: anon, service_role, or no JWT at all).
create function public.require_user()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_me uuid := (select auth.uid());
begin
  if v_me is null then
    raise exception using errcode = 'PT401', message = 'Sign in first.', hint = 'unauthorized';
  end if;
  return v_me;
end;
$$;

-- Settings of the database itself, changed by the operator with SQL; users can neither read
-- nor write them (row level security on, no policies, no grants).
create table public.app_settings (
  name text primary key,
  value text not null
);
alter table public.app_settings enable row level security;
revoke all on public.app_settings from public, anon, authenticated;
-- The send limit as 'points/seconds': RATE_LIMIT_SEND's default.
insert into public.app_settings (name, value) values ('send_limit', '60/10');

-- The per-user send limit: at most `points` stored messages per `seconds`, sliding window.
-- The app's SQL store sets `chat.send_limit` per transaction from RATE_LIMIT_SEND; otherwise
-- (Supabase mode) the 'send_limit' row of app_settings applies. Users can set neither.
create function public.enforce_send_limit(p_user_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_rule text := coalesce(
    nullif(current_setting('chat.send_limit', true), ''),
    (select s.value from public.app_settings s where s.name = 'send_limit')
  );
  v_points integer := 60;
  v_seconds integer := 10;
  v_oldest timestamptz;
  v_retry integer;
begin
  if v_rule ~ '^[1-9][0-9]{0,8}/[1-9][0-9]{0,6}$' then
    v_points := split_part(v_rule, '/', 1)::integer;
    v_seconds := split_part(v_rule, '/', 2)::integer;
  end if;
  -- One sender's sends take turns here, so concurrent sends cannot all slip under the limit.
  perform pg_advisory_xact_lock(hashtextextended('chat.send_limit:' || p_user_id::text, 0));
  select m.created_at into v_oldest
  from public.messages m
  where m.sender_id = p_user_id and m.created_at > now() - make_interval(secs => v_seconds)
  order by m.created_at desc
  offset v_points - 1
  limit 1;
  if v_oldest is not null then
    v_retry := greatest(1, ceil(extract(epoch from (v_oldest + make_interval(secs => v_seconds) - clock_timestamp()))))::integer;
    raise exception using errcode = 'PT429', message = format('Too many requests. Try again in %s s.', v_retry),
      detail = v_retry::text, hint = 'rate_limited';
  end if;
end;
$$;

create index messages_sender_created_idx on public.messages (sender_id, created_at);

revoke execute on function public.chat_trim, public.is_invisible_text, public.raise_invalid, public.checked_message_content, public.checked_display_name,
  public.require_user, public.enforce_send_limit from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Writes: the functions are the only way in.

-- Stores a message once per (sender, client_id); `created` is false for a repeat with the same
-- recipient and content. The same client_id with another recipient or content is PT409.
create or replace function public.send_message(p_recipient_id uuid, p_content text, p_client_id uuid)
returns table (
  id uuid, conversation_id uuid, seq bigint, sender_id uuid, recipient_id uuid,
  content text, client_id uuid, created_at timestamptz, created boolean
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := public.require_user();
  v_content text;
  v_stored public.messages;
begin
  if p_recipient_id is null then
    perform public.raise_invalid('recipientId', 'recipientId must be a UUID');
  end if;
  if p_client_id is null then
    perform public.raise_invalid('clientId', 'clientId must be a UUID');
  end if;
  if p_recipient_id = v_me then
    raise exception using errcode = 'PT400', message = 'You cannot send a message to yourself.', hint = 'cannot_message_self';
  end if;
  v_content := public.checked_message_content(p_content);

  for attempt in 1..2 loop
    -- A retry (or a twin that committed first) is answered with the stored message, even over
    -- the send limit: it stores nothing, and the client must learn that its send went through.
    select m.* into v_stored from public.messages m where m.sender_id = v_me and m.client_id = p_client_id;
    if found then
      if v_stored.recipient_id <> p_recipient_id or v_stored.content <> v_content then
        raise exception using errcode = 'PT409', message = 'This clientId was already used for another message.',
          hint = 'client_id_conflict';
      end if;
      return query select v_stored.id, v_stored.conversation_id, v_stored.seq, v_stored.sender_id, v_stored.recipient_id,
        v_stored.content, v_stored.client_id, v_stored.created_at, false;
      return;
    end if;
    if attempt = 2 then
      exit;
    end if;
    perform public.enforce_send_limit(v_me);
    return query
      insert into public.messages as m (sender_id, recipient_id, content, client_id)
      values (v_me, p_recipient_id, v_content, p_client_id)
      on conflict on constraint messages_sender_client_key do nothing
      returning m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at, true;
    if found then
      return;
    end if;
  end loop;
  raise exception 'send_message: message % vanished', p_client_id;
end;
$$;

-- Marks the conversation with p_peer_id read up to p_seq, clamped to 0..the last message. The
-- position only moves forward, so a late, stale request cannot un-read messages.
create or replace function public.mark_read(p_peer_id uuid, p_seq bigint)
returns table (conversation_id uuid, user_id uuid, peer_id uuid, last_read_seq bigint)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := public.require_user();
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
    values (v_conversation, v_me, greatest(0, least(coalesce(p_seq, 0), v_last_seq)))
    on conflict on constraint conversation_reads_pkey
    do update set last_read_seq = greatest(r.last_read_seq, excluded.last_read_seq), updated_at = now()
    returning r.conversation_id, r.user_id, p_peer_id, r.last_read_seq;
end;
$$;

-- Sets the caller's display name (null or blank: back to the email).
create or replace function public.update_profile(p_display_name text)
returns setof public.profiles
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := public.require_user();
begin
  return query
    update public.profiles set display_name = public.checked_display_name(p_display_name)
    where id = v_me
    returning *;
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Reads: the limits clamped as the API does.

create or replace function public.get_messages(p_peer_id uuid, p_limit integer, p_before uuid default null, p_after uuid default null)
returns setof public.messages
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := (select auth.uid());
  v_limit integer := greatest(1, least(100, coalesce(p_limit, 50)));
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
      limit v_limit;
  else
    return query
      select page.* from (
        select m.* from public.messages m
        where m.conversation_id = v_conversation and (v_cursor_seq is null or m.seq < v_cursor_seq)
        order by m.seq desc
        limit v_limit
      ) page
      order by page.seq asc;
  end if;
end;
$$;

create or replace function public.list_conversations(p_limit integer)
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
  limit greatest(1, least(100, coalesce(p_limit, 100)));
$$;

-- ---------------------------------------------------------------------------------------------
-- The directory is private.

-- People to start a conversation with: a stranger only by their exact email address
-- (case-insensitive), people you already talk to also by email prefix. Never the caller; at
-- most 20. SECURITY DEFINER because row level security hides strangers' profiles.
drop function public.search_profiles(text, integer);
create function public.search_profiles(p_query text, p_limit integer default 20)
returns setof public.profiles
language sql
stable
security definer
set search_path = ''
as $$
  with me as (select (select auth.uid()) as id),
       q as (select lower(public.chat_trim(p_query)) as exact,
                    replace(replace(replace(lower(public.chat_trim(p_query)), '\', '\\'), '%', '\%'), '_', '\_') || '%' as prefix)
  select found.* from (
    select p.* from public.profiles p, me, q
    where lower(p.email) = q.exact and p.id <> me.id
    union
    select p.* from public.conversations c
    cross join me cross join q
    join public.profiles p on p.id = case when c.user_a = me.id then c.user_b else c.user_a end
    where (c.user_a = me.id or c.user_b = me.id) and lower(p.email) like q.prefix
  ) found
  order by lower(found.email)
  limit greatest(1, least(20, coalesce(p_limit, 20)));
$$;

revoke execute on function public.search_profiles from public, anon;
grant execute on function public.search_profiles to authenticated;

drop policy "profiles are visible to signed-in users" on public.profiles;
create policy "users read their own and their peers' profiles"
  on public.profiles for select to authenticated
  using (
    profiles.id = (select auth.uid())
    or exists (
      select 1 from public.conversations c
      where c.user_a = least(profiles.id, (select auth.uid())) and c.user_b = greatest(profiles.id, (select auth.uid()))
    )
  );

-- ---------------------------------------------------------------------------------------------
-- No direct writes: only SELECT stays granted (under row level security).

drop policy "users update their own profile" on public.profiles;
drop policy "users send as themselves" on public.messages;
drop policy "members record their own reading" on public.conversation_reads;
drop policy "members move their own read position" on public.conversation_reads;

-- Revoking the table privilege also revokes the column grants of the same kind.
revoke insert, update, delete, truncate, references, trigger
  on public.profiles, public.conversations, public.messages, public.conversation_reads
  from public, anon, authenticated;
