-- Group conversations. A conversation is `direct` (one per pair of users, as before: user_a <
-- user_b) or `group` (a name, no pair). Who belongs to a conversation is conversation_members,
-- for both kinds: existing direct conversations get both users as members below, so row level
-- security, read states and the push recipients all ask one table.
--
-- History policy: a member who leaves or is removed loses access to the whole conversation
-- (list, history, send, read: the same 404 conversation_not_found as a stranger).
--
-- Ordering stays as before: every message, also a group's system message (joins, leaves,
-- removals, renames, owner changes), takes its seq under the conversation's row lock, and every
-- membership change takes the same lock first. So seq is gapless in commit order, and the
-- members a push goes to (read in the same transaction) are the members at that commit.

-- ---------------------------------------------------------------------------------------------
-- Model

alter table public.conversations
  add column kind text not null default 'direct' constraint conversations_kind_check check (kind in ('direct', 'group')),
  add column name text,
  alter column user_a drop not null,
  alter column user_b drop not null,
  add constraint conversations_kind_shape check (
    (kind = 'direct' and user_a is not null and user_b is not null and name is null)
    or (kind = 'group' and user_a is null and user_b is null and char_length(name) between 1 and 80)
  );

create table public.conversation_members (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'member')),
  joined_at timestamptz not null default now(),
  primary key (conversation_id, user_id)
);
create index conversation_members_user_idx on public.conversation_members (user_id, conversation_id);

-- Nothing lost: both users of every existing conversation become its members.
insert into public.conversation_members (conversation_id, user_id, role, joined_at)
select c.id, c.user_a, 'member', c.created_at from public.conversations c
union all
select c.id, c.user_b, 'member', c.created_at from public.conversations c;

-- A new direct conversation (made by its first message) gets its two members.
create function public.add_direct_members()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.conversation_members (conversation_id, user_id, role, joined_at)
  values (new.id, new.user_a, 'member', new.created_at), (new.id, new.user_b, 'member', new.created_at)
  on conflict on constraint conversation_members_pkey do nothing;
  return null;
end;
$$;

create trigger conversations_direct_members
  after insert on public.conversations
  for each row when (new.kind = 'direct')
  execute function public.add_direct_members();

-- Messages: a group message has no recipient; a system message records a membership event
-- (its sender is the actor, its content empty).
alter table public.messages
  alter column recipient_id drop not null,
  add column kind text not null default 'text' constraint messages_kind_check check (kind in ('text', 'system')),
  add column system_event text constraint messages_system_event_check check (
    system_event in ('group_created', 'member_added', 'member_removed', 'member_left', 'renamed', 'owner_changed')
  ),
  add column system_user_ids uuid[],
  add column system_name text,
  drop constraint messages_content_check,
  add constraint messages_content_check check (
    case when kind = 'system' then content = '' else char_length(content) between 1 and 4000 end
  ),
  add constraint messages_system_shape check (
    (kind = 'text' and system_event is null and system_user_ids is null and system_name is null)
    or (kind = 'system' and system_event is not null and recipient_id is null and system_user_ids is not null)
  );

insert into public.app_settings (name, value) values ('group_max_members', '100');

-- ---------------------------------------------------------------------------------------------
-- Helpers (not callable by users, except my_conversation_ids, which the policies call)

-- The caller's conversations. SECURITY DEFINER so that the policy on conversation_members can
-- use it without recursing into itself; it only ever answers for auth.uid().
create function public.my_conversation_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select cm.conversation_id from public.conversation_members cm where cm.user_id = (select auth.uid());
$$;

-- A group's name as stored (trimmed), or PT422 on `name`: the display-name rules, and required.
create function public.checked_group_name(p_name text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_name text := public.chat_trim(p_name);
begin
  if p_name is null then
    perform public.raise_invalid('name', 'name must be a string');
  end if;
  if p_name ~ '[\u0001-\u001f\u007f\u202a-\u202e\u2066-\u2069]' then
    perform public.raise_invalid('name', 'name has characters that are not allowed');
  end if;
  if v_name = '' or public.is_invisible_text(v_name) then
    perform public.raise_invalid('name', 'name must not be empty');
  end if;
  if char_length(v_name) > 80 then
    perform public.raise_invalid('name', 'name must be at most 80 characters');
  end if;
  return v_name;
end;
$$;

-- Most members of a group: GROUP_MAX_MEMBERS as the app's SQL store sets it per transaction
-- (`chat.group_max_members`), else the 'group_max_members' row of app_settings (Supabase mode).
create function public.group_max_members()
returns integer
language plpgsql
stable
set search_path = ''
as $$
declare
  v_rule text := coalesce(
    nullif(current_setting('chat.group_max_members', true), ''),
    (select s.value from public.app_settings s where s.name = 'group_max_members')
  );
begin
  if v_rule ~ '^[0-9]{1,6}$' then
    return greatest(3, v_rule::integer);
  end if;
  return 100;
end;
$$;

-- Locks the conversation (the same row lock that orders its messages) and answers the caller's
-- role in it. A stranger or former member: PT404 conversation_not_found; a direct one: PT422.
create function public.lock_group(p_conversation_id uuid, p_user_id uuid)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_kind text;
  v_role text;
begin
  select c.kind into v_kind from public.conversations c where c.id = p_conversation_id for update;
  select cm.role into v_role from public.conversation_members cm
  where cm.conversation_id = p_conversation_id and cm.user_id = p_user_id;
  if v_kind is null or v_role is null then
    raise exception using errcode = 'PT404', message = 'There is no such conversation.', hint = 'conversation_not_found';
  end if;
  if v_kind <> 'group' then
    raise exception using errcode = 'PT422', message = 'This is not a group conversation.', hint = 'not_a_group';
  end if;
  return v_role;
end;
$$;

create function public.raise_not_owner()
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  raise exception using errcode = 'PT403', message = 'Only the group''s owners may do that.', hint = 'not_owner';
end;
$$;

-- Appends a system message to a group's timeline; it takes its seq like any message.
create function public.post_system_message(p_conversation_id uuid, p_actor uuid, p_event text, p_user_ids uuid[], p_name text)
returns void
language sql
volatile
set search_path = ''
as $$
  insert into public.messages (conversation_id, sender_id, recipient_id, kind, content, client_id, system_event, system_user_ids, system_name)
  values (p_conversation_id, p_actor, null, 'system', '', gen_random_uuid(), p_event, coalesce(p_user_ids, '{}'), p_name);
$$;

-- Known users among p_ids, or PT404 user_not_found.
create function public.require_profiles(p_ids uuid[])
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if (select count(*) from public.profiles p where p.id = any (p_ids)) <> cardinality(p_ids) then
    raise exception using errcode = 'PT404', message = 'One of those users does not exist.', hint = 'user_not_found';
  end if;
end;
$$;

-- Distinct ids of a list the caller sent, or PT422 on p_field when it is missing or holds null.
create function public.checked_user_ids(p_ids uuid[], p_field text)
returns uuid[]
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_ids is null or array_position(p_ids, null) is not null then
    perform public.raise_invalid(p_field, p_field || ' must be a list of user ids');
  end if;
  return coalesce((select array_agg(distinct x order by x) from unnest(p_ids) x), '{}');
end;
$$;

-- Only text messages count towards the send limit (system messages are side effects).
create or replace function public.enforce_send_limit(p_user_id uuid)
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
  perform pg_advisory_xact_lock(hashtextextended('chat.send_limit:' || p_user_id::text, 0));
  select m.created_at into v_oldest
  from public.messages m
  where m.sender_id = p_user_id and m.created_at > now() - make_interval(secs => v_seconds) and m.kind = 'text'
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

revoke execute on function public.checked_group_name, public.group_max_members, public.lock_group, public.raise_not_owner,
  public.post_system_message, public.require_profiles, public.checked_user_ids, public.add_direct_members
  from public, anon, authenticated;
revoke execute on function public.my_conversation_ids from public, anon;
grant execute on function public.my_conversation_ids to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Positions: a direct message finds (or makes) its pair's conversation as before; a group
-- message names its conversation. Either way the conversation's row lock is held until commit.

create or replace function public.assign_message_position()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A retry of a stored message must not burn a position (see the first migration).
  if exists (select 1 from public.messages m where m.sender_id = new.sender_id and m.client_id = new.client_id) then
    new.conversation_id := coalesce(new.conversation_id, '00000000-0000-0000-0000-000000000000');
    new.seq := 0;
    return new;
  end if;

  if new.recipient_id is not null then
    insert into public.conversations as c (user_a, user_b, last_seq, last_message_at)
    values (least(new.sender_id, new.recipient_id), greatest(new.sender_id, new.recipient_id), 1, now())
    on conflict (user_a, user_b)
    do update set last_seq = c.last_seq + 1, last_message_at = now()
    returning c.id, c.last_seq into new.conversation_id, new.seq;
  else
    update public.conversations c set last_seq = c.last_seq + 1, last_message_at = now()
    where c.id = new.conversation_id and c.kind = 'group'
    returning c.last_seq into new.seq;
    -- Under the lock, with a fresh snapshot: a removal that committed while we waited counts.
    if new.seq is null or (new.kind = 'text' and not exists (
      select 1 from public.conversation_members cm where cm.conversation_id = new.conversation_id and cm.user_id = new.sender_id
    )) then
      raise exception using errcode = 'PT404', message = 'There is no such conversation.', hint = 'conversation_not_found';
    end if;
  end if;

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

-- ---------------------------------------------------------------------------------------------
-- Pushes. A group's message and read pushes carry `to` (every member at commit) in the row's
-- payload; the dispatcher (web/server/realtime/outbox.ts) moves it from `data` to the item.
-- A system message also writes `conversation.updated` for members and the removed.

alter table public.push_outbox drop constraint push_outbox_type_check;
alter table public.push_outbox add constraint push_outbox_type_check
  check (type in ('message.created', 'read.updated', 'session.revoked', 'conversation.updated'));

create or replace function public.push_outbox_on_message()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_to uuid[];
  v_removed uuid[] := '{}';
  v_payload jsonb;
begin
  v_payload := jsonb_build_object(
    'id', new.id, 'conversationId', new.conversation_id, 'seq', new.seq,
    'senderId', new.sender_id, 'recipientId', new.recipient_id, 'kind', new.kind, 'content', new.content,
    'clientId', new.client_id,
    'createdAt', to_char(new.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'system', case when new.kind = 'system' then jsonb_build_object(
      'event', new.system_event, 'actorId', new.sender_id, 'userIds', to_jsonb(new.system_user_ids), 'name', new.system_name
    ) end
  );
  if new.recipient_id is null then
    select coalesce(array_agg(cm.user_id order by cm.user_id), '{}') into v_to
    from public.conversation_members cm where cm.conversation_id = new.conversation_id;
    v_payload := v_payload || jsonb_build_object('to', to_jsonb(v_to));
  end if;
  insert into public.push_outbox (push_id, type, user_id, payload)
  values ('msg_' || new.id, 'message.created', new.sender_id, v_payload)
  on conflict on constraint push_outbox_push_id_key do nothing;

  if new.kind = 'system' then
    if new.system_event in ('member_removed', 'member_left') then
      v_removed := new.system_user_ids;
    end if;
    insert into public.push_outbox (push_id, type, user_id, payload)
    select 'conv_' || new.conversation_id || '_' || new.seq, 'conversation.updated', new.sender_id,
      jsonb_build_object(
        'conversationId', new.conversation_id, 'name', c.name, 'memberIds', to_jsonb(v_to), 'removedIds', to_jsonb(v_removed),
        'to', to_jsonb(array(select distinct u from unnest(v_to || v_removed) u order by u))
      )
    from public.conversations c where c.id = new.conversation_id
    on conflict on constraint push_outbox_push_id_key do nothing;
  end if;
  return null;
end;
$$;

create or replace function public.push_outbox_on_read()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_kind text;
  v_peer uuid;
  v_payload jsonb;
begin
  select c.kind, case when c.user_a = new.user_id then c.user_b else c.user_a end into v_kind, v_peer
  from public.conversations c where c.id = new.conversation_id;
  v_payload := jsonb_build_object(
    'conversationId', new.conversation_id, 'userId', new.user_id, 'peerId', v_peer, 'lastReadSeq', new.last_read_seq
  );
  if v_kind = 'group' then
    v_payload := v_payload || jsonb_build_object('to', to_jsonb(array(
      select cm.user_id from public.conversation_members cm where cm.conversation_id = new.conversation_id order by cm.user_id
    )));
  end if;
  insert into public.push_outbox (push_id, type, user_id, payload)
  values ('read_' || new.conversation_id || '_' || new.user_id || '_' || new.last_read_seq, 'read.updated', new.user_id, v_payload)
  on conflict on constraint push_outbox_push_id_key do nothing;
  return null;
end;
$$;

-- ---------------------------------------------------------------------------------------------
-- Row level security: members only, for both kinds.

alter table public.conversation_members enable row level security;
revoke all on public.conversation_members from public, anon, authenticated;
grant select on public.conversation_members to authenticated;

create policy "members read their conversations' members"
  on public.conversation_members for select to authenticated
  using (conversation_id in (select public.my_conversation_ids()));

drop policy "members read their conversations" on public.conversations;
create policy "members read their conversations"
  on public.conversations for select to authenticated
  using (id in (select public.my_conversation_ids()));

drop policy "members read their messages" on public.messages;
create policy "members read their messages"
  on public.messages for select to authenticated
  using (conversation_id in (select public.my_conversation_ids()));

drop policy "members read their conversations' read state" on public.conversation_reads;
create policy "members read their conversations' read state"
  on public.conversation_reads for select to authenticated
  using (conversation_id in (select public.my_conversation_ids()));

drop policy "users read their own and their peers' profiles" on public.profiles;
create policy "users read their own and their peers' profiles"
  on public.profiles for select to authenticated
  using (
    profiles.id = (select auth.uid())
    or profiles.id in (
      select cm.user_id from public.conversation_members cm where cm.conversation_id in (select public.my_conversation_ids())
    )
  );

-- ---------------------------------------------------------------------------------------------
-- Reads

-- The caller's conversations (both kinds), newest activity first; p_conversation_id: only that
-- one. A direct one has its peer; every one its member count, the first five members (by
-- joined_at: the preview includes the caller), the caller's role, the last message, the
-- caller's unread count and read position, and the other members' read positions.
drop function public.list_conversations(integer);
create function public.list_conversations(p_limit integer default 100, p_conversation_id uuid default null)
returns table (
  conversation_id uuid, kind text, name text, role text, last_message_at timestamptz,
  peer_id uuid, peer_email text, peer_display_name text,
  member_count bigint, member_preview jsonb,
  message_id uuid, seq bigint, sender_id uuid, recipient_id uuid, content text, client_id uuid, created_at timestamptz,
  message_kind text, system_event text, system_user_ids uuid[], system_name text,
  last_read_seq bigint, peer_last_read_seq bigint, unread_count bigint, read_states jsonb
)
language sql
stable
security invoker
set search_path = ''
as $$
  select c.id, c.kind, c.name, me.role, c.last_message_at,
         p.id, p.email, p.display_name,
         (select count(*) from public.conversation_members cm where cm.conversation_id = c.id),
         (select coalesce(jsonb_agg(jsonb_build_object('id', pp.id, 'email', pp.email, 'displayName', pp.display_name)
                                    order by first.joined_at, first.user_id), '[]'::jsonb)
          from (select cm.user_id, cm.joined_at from public.conversation_members cm
                where cm.conversation_id = c.id order by cm.joined_at, cm.user_id limit 5) first
          join public.profiles pp on pp.id = first.user_id),
         m.id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at,
         m.kind, m.system_event, m.system_user_ids, m.system_name,
         coalesce(mine.last_read_seq, 0),
         case when c.kind = 'direct' then coalesce(theirs.last_read_seq, 0) else 0 end,
         (select count(*) from public.messages u
          where u.conversation_id = c.id and u.seq > coalesce(mine.last_read_seq, 0) and u.sender_id <> me.user_id),
         (select coalesce(jsonb_agg(jsonb_build_object('userId', om.user_id, 'lastReadSeq', coalesce(r.last_read_seq, 0))
                                    order by om.joined_at, om.user_id), '[]'::jsonb)
          from public.conversation_members om
          left join public.conversation_reads r on r.conversation_id = om.conversation_id and r.user_id = om.user_id
          where om.conversation_id = c.id and om.user_id <> me.user_id)
  from public.conversation_members me
  join public.conversations c on c.id = me.conversation_id
  left join public.profiles p
    on c.kind = 'direct' and p.id = case when c.user_a = me.user_id then c.user_b else c.user_a end
  join lateral (
    select * from public.messages lm where lm.conversation_id = c.id order by lm.seq desc limit 1
  ) m on true
  left join public.conversation_reads mine on mine.conversation_id = c.id and mine.user_id = me.user_id
  left join public.conversation_reads theirs on theirs.conversation_id = c.id and theirs.user_id = p.id
  where me.user_id = (select auth.uid()) and (p_conversation_id is null or c.id = p_conversation_id)
  order by c.last_message_at desc, c.id
  limit greatest(1, least(100, coalesce(p_limit, 100)));
$$;

-- One conversation as list_conversations shows it, plus every member with role and joined_at.
-- Empty for a stranger or former member.
create function public.get_conversation(p_conversation_id uuid)
returns table (
  conversation_id uuid, kind text, name text, role text, last_message_at timestamptz,
  peer_id uuid, peer_email text, peer_display_name text,
  member_count bigint, member_preview jsonb,
  message_id uuid, seq bigint, sender_id uuid, recipient_id uuid, content text, client_id uuid, created_at timestamptz,
  message_kind text, system_event text, system_user_ids uuid[], system_name text,
  last_read_seq bigint, peer_last_read_seq bigint, unread_count bigint, read_states jsonb,
  member_list jsonb
)
language sql
stable
security invoker
set search_path = ''
as $$
  select l.*,
         (select coalesce(jsonb_agg(jsonb_build_object(
                    'user', jsonb_build_object('id', pp.id, 'email', pp.email, 'displayName', pp.display_name),
                    'role', cm.role,
                    'joinedAt', to_char(cm.joined_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                  ) order by cm.joined_at, cm.user_id), '[]'::jsonb)
          from public.conversation_members cm join public.profiles pp on pp.id = cm.user_id
          where cm.conversation_id = l.conversation_id)
  from public.list_conversations(1, p_conversation_id) l
  where p_conversation_id is not null;
$$;

-- One page of a conversation, oldest first: by peer (direct, as before) or by conversation id
-- (either kind). A conversation id the caller is not a member of is PT404 conversation_not_found.
drop function public.get_messages(uuid, integer, uuid, uuid);
create function public.get_messages(
  p_peer_id uuid default null, p_limit integer default 50, p_before uuid default null, p_after uuid default null,
  p_conversation_id uuid default null
)
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
  if p_conversation_id is not null then
    -- Row level security hides every conversation the caller is not a member of.
    select c.id into v_conversation from public.conversations c where c.id = p_conversation_id;
    if v_conversation is null then
      raise exception using errcode = 'PT404', message = 'There is no such conversation.', hint = 'conversation_not_found';
    end if;
  else
    select c.id into v_conversation
    from public.conversations c
    where c.user_a = least(v_me, p_peer_id) and c.user_b = greatest(v_me, p_peer_id);
  end if;

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

-- People to start a conversation with: strangers by exact email, people you share any
-- conversation with (direct or group) also by email prefix.
create or replace function public.search_profiles(p_query text, p_limit integer default 20)
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
    select p.* from public.conversation_members mine
    cross join me cross join q
    join public.conversation_members other on other.conversation_id = mine.conversation_id and other.user_id <> mine.user_id
    join public.profiles p on p.id = other.user_id
    where mine.user_id = me.id and lower(p.email) like q.prefix
  ) found
  order by lower(found.email)
  limit greatest(1, least(20, coalesce(p_limit, 20)));
$$;

-- ---------------------------------------------------------------------------------------------
-- Writes

-- Stores a message once per (sender, client_id): to p_recipient_id (the direct conversation,
-- as before) or into p_conversation_id (a group, or a direct one by its id). Exactly one of the
-- two. `created` is false for a repeat with the same target and content; the same client_id
-- with another target or content is PT409.
drop function public.send_message(uuid, text, uuid);
create function public.send_message(
  p_recipient_id uuid default null, p_content text default null, p_client_id uuid default null, p_conversation_id uuid default null
)
returns table (
  id uuid, conversation_id uuid, seq bigint, sender_id uuid, recipient_id uuid,
  content text, client_id uuid, created_at timestamptz, kind text, system_event text, system_user_ids uuid[], system_name text,
  created boolean
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := public.require_user();
  v_content text;
  v_group uuid;
  v_recipient uuid := p_recipient_id;
  v_kind text;
  v_stored public.messages;
begin
  if p_recipient_id is null and p_conversation_id is null then
    perform public.raise_invalid('recipientId', 'recipientId must be a UUID');
  end if;
  if p_recipient_id is not null and p_conversation_id is not null then
    perform public.raise_invalid('conversationId', 'send either recipientId or conversationId, not both');
  end if;
  if p_client_id is null then
    perform public.raise_invalid('clientId', 'clientId must be a UUID');
  end if;
  if p_conversation_id is not null then
    select c.kind, case when c.user_a = v_me then c.user_b else c.user_a end into v_kind, v_recipient
    from public.conversations c
    join public.conversation_members cm on cm.conversation_id = c.id and cm.user_id = v_me
    where c.id = p_conversation_id;
    if v_kind is null then
      raise exception using errcode = 'PT404', message = 'There is no such conversation.', hint = 'conversation_not_found';
    end if;
    if v_kind = 'group' then
      v_group := p_conversation_id;
      v_recipient := null;
    end if;
  end if;
  if v_recipient = v_me then
    raise exception using errcode = 'PT400', message = 'You cannot send a message to yourself.', hint = 'cannot_message_self';
  end if;
  v_content := public.checked_message_content(p_content);

  for attempt in 1..2 loop
    -- A retry (or a twin that committed first) is answered with the stored message, even over
    -- the send limit: it stores nothing, and the client must learn that its send went through.
    select m.* into v_stored from public.messages m where m.sender_id = v_me and m.client_id = p_client_id;
    if found then
      if v_stored.recipient_id is distinct from v_recipient or v_stored.content <> v_content
         or (v_group is not null and v_stored.conversation_id <> v_group) then
        raise exception using errcode = 'PT409', message = 'This clientId was already used for another message.',
          hint = 'client_id_conflict';
      end if;
      return query select v_stored.id, v_stored.conversation_id, v_stored.seq, v_stored.sender_id, v_stored.recipient_id,
        v_stored.content, v_stored.client_id, v_stored.created_at, v_stored.kind, v_stored.system_event,
        v_stored.system_user_ids, v_stored.system_name, false;
      return;
    end if;
    if attempt = 2 then
      exit;
    end if;
    perform public.enforce_send_limit(v_me);
    return query
      insert into public.messages as m (conversation_id, sender_id, recipient_id, content, client_id)
      values (v_group, v_me, v_recipient, v_content, p_client_id)
      on conflict on constraint messages_sender_client_key do nothing
      returning m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at,
        m.kind, m.system_event, m.system_user_ids, m.system_name, true;
    if found then
      return;
    end if;
  end loop;
  raise exception 'send_message: message % vanished', p_client_id;
end;
$$;

-- Marks a conversation read up to p_seq (clamped to 0..its last message; forward only): by peer
-- (direct, as before) or by conversation id (either kind). Empty when the caller is no member.
drop function public.mark_read(uuid, bigint);
create function public.mark_read(p_peer_id uuid default null, p_seq bigint default null, p_conversation_id uuid default null)
returns table (conversation_id uuid, user_id uuid, peer_id uuid, last_read_seq bigint)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := public.require_user();
  v_conversation uuid;
  v_peer uuid;
  v_last_seq bigint;
begin
  if p_conversation_id is not null then
    select c.id, c.last_seq, case when c.kind = 'direct' then (case when c.user_a = v_me then c.user_b else c.user_a end) end
    into v_conversation, v_last_seq, v_peer
    from public.conversations c
    join public.conversation_members cm on cm.conversation_id = c.id and cm.user_id = v_me
    where c.id = p_conversation_id;
  else
    select c.id, c.last_seq, p_peer_id into v_conversation, v_last_seq, v_peer
    from public.conversations c
    where c.user_a = least(v_me, p_peer_id) and c.user_b = greatest(v_me, p_peer_id);
  end if;
  if v_conversation is null then
    return;
  end if;
  return query
    insert into public.conversation_reads as r (conversation_id, user_id, last_read_seq)
    values (v_conversation, v_me, greatest(0, least(coalesce(p_seq, 0), v_last_seq)))
    on conflict on constraint conversation_reads_pkey
    do update set last_read_seq = greatest(r.last_read_seq, excluded.last_read_seq), updated_at = now()
    returning r.conversation_id, r.user_id, v_peer, r.last_read_seq;
end;
$$;

-- A group named p_name of the caller (its owner) and p_member_ids (the caller may be among
-- them; repeats count once): 3 to group_max_members() in all, or PT422 group_too_small /
-- group_too_large; an unknown user PT404 user_not_found.
create function public.create_group(p_name text, p_member_ids uuid[])
returns table (conversation_id uuid)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := public.require_user();
  v_name text := public.checked_group_name(p_name);
  v_ids uuid[] := array_remove(public.checked_user_ids(p_member_ids, 'memberIds'), v_me);
  v_id uuid;
  v_now timestamptz := clock_timestamp();
begin
  if cardinality(v_ids) + 1 < 3 then
    raise exception using errcode = 'PT422', message = 'A group needs at least 3 members, you included.',
      detail = 'memberIds', hint = 'group_too_small';
  end if;
  if cardinality(v_ids) + 1 > public.group_max_members() then
    raise exception using errcode = 'PT422',
      message = format('A group has at most %s members, you included.', public.group_max_members()),
      detail = 'memberIds', hint = 'group_too_large';
  end if;
  perform public.require_profiles(v_ids);
  insert into public.conversations (kind, name, last_message_at) values ('group', v_name, now()) returning id into v_id;
  -- The creator joined first: the longest-standing member.
  insert into public.conversation_members (conversation_id, user_id, role, joined_at) values (v_id, v_me, 'owner', v_now);
  insert into public.conversation_members (conversation_id, user_id, role, joined_at)
  select v_id, u, 'member', v_now + interval '1 microsecond' from unnest(v_ids) u;
  perform public.post_system_message(v_id, v_me, 'group_created', v_ids, v_name);
  return query select v_id;
end;
$$;

-- Renames a group (owners only). The same name again changes nothing.
create function public.rename_group(p_conversation_id uuid, p_name text)
returns table (conversation_id uuid)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := public.require_user();
  v_name text := public.checked_group_name(p_name);
begin
  if public.lock_group(p_conversation_id, v_me) <> 'owner' then
    perform public.raise_not_owner();
  end if;
  if (select c.name from public.conversations c where c.id = p_conversation_id) <> v_name then
    update public.conversations c set name = v_name where c.id = p_conversation_id;
    perform public.post_system_message(p_conversation_id, v_me, 'renamed', '{}', v_name);
  end if;
  return query select p_conversation_id;
end;
$$;

-- Adds members (owners only); present members are ignored. Past group_max_members() in all:
-- PT422 group_too_large, nobody added.
create function public.add_members(p_conversation_id uuid, p_user_ids uuid[])
returns table (conversation_id uuid)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := public.require_user();
  v_ids uuid[] := public.checked_user_ids(p_user_ids, 'userIds');
  v_new uuid[];
  v_count integer;
begin
  if public.lock_group(p_conversation_id, v_me) <> 'owner' then
    perform public.raise_not_owner();
  end if;
  select coalesce(array_agg(u order by u), '{}') into v_new from unnest(v_ids) u
  where not exists (select 1 from public.conversation_members cm where cm.conversation_id = p_conversation_id and cm.user_id = u);
  if cardinality(v_new) > 0 then
    select count(*) into v_count from public.conversation_members cm where cm.conversation_id = p_conversation_id;
    if v_count + cardinality(v_new) > public.group_max_members() then
      raise exception using errcode = 'PT422',
        message = format('A group has at most %s members.', public.group_max_members()), detail = 'userIds', hint = 'group_too_large';
    end if;
    perform public.require_profiles(v_new);
    insert into public.conversation_members (conversation_id, user_id, role, joined_at)
    select p_conversation_id, u, 'member', clock_timestamp() from unnest(v_new) u;
    perform public.post_system_message(p_conversation_id, v_me, 'member_added', v_new, null);
  end if;
  return query select p_conversation_id;
end;
$$;

-- Removes p_user_id from a group: owners remove anyone, anyone removes themselves (leaves).
-- When the last owner leaves, the longest-standing remaining member (earliest joined_at, then
-- user id) becomes owner. `left` is true when the caller left.
create function public.remove_member(p_conversation_id uuid, p_user_id uuid)
returns table (conversation_id uuid, "left" boolean)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := public.require_user();
  v_role text := public.lock_group(p_conversation_id, v_me);
  v_heir uuid;
begin
  if p_user_id is distinct from v_me and v_role <> 'owner' then
    perform public.raise_not_owner();
  end if;
  delete from public.conversation_members cm where cm.conversation_id = p_conversation_id and cm.user_id = p_user_id;
  if not found then
    raise exception using errcode = 'PT404', message = 'That user is not a member of this group.', hint = 'member_not_found';
  end if;
  perform public.post_system_message(
    p_conversation_id, v_me, case when p_user_id = v_me then 'member_left' else 'member_removed' end, array[p_user_id], null
  );
  if not exists (select 1 from public.conversation_members cm where cm.conversation_id = p_conversation_id and cm.role = 'owner') then
    select cm.user_id into v_heir from public.conversation_members cm
    where cm.conversation_id = p_conversation_id order by cm.joined_at, cm.user_id limit 1;
    if v_heir is not null then
      update public.conversation_members cm set role = 'owner' where cm.conversation_id = p_conversation_id and cm.user_id = v_heir;
      perform public.post_system_message(p_conversation_id, v_me, 'owner_changed', array[v_heir], null);
    end if;
  end if;
  return query select p_conversation_id, p_user_id = v_me;
end;
$$;

revoke execute on function public.list_conversations, public.get_conversation, public.get_messages, public.send_message,
  public.mark_read, public.create_group, public.rename_group, public.add_members, public.remove_member
  from public, anon;
grant execute on function public.list_conversations, public.get_conversation, public.get_messages, public.send_message,
  public.mark_read, public.create_group, public.rename_group, public.add_members, public.remove_member
  to authenticated;
