-- The message lifecycle (issue 16): edits, deletions (tombstones), reactions and replies, and one
-- ordered stream of changes per conversation.
--
-- The change stream: every change to a conversation's messages (a new message, system messages
-- included, an edit, a deletion, a reaction added or removed) takes the next `last_pos` of its
-- conversation under the conversation's row lock, the same lock that orders `seq`, and records
-- one row in conversation_changes. The lock is held until commit, so positions are gapless in
-- commit order: a client that has applied every change up to P and reads the changes after P
-- gets each later change once, in order. A message's `pos` is the position of its creation.
--
-- Live: edits, deletions and reactions write a `message.changed` push in the same transaction
-- (push id chg_<conversation>_<pos>); a new message keeps its `message.created` push, now with
-- `pos` and the new fields. Every action goes through the SECURITY DEFINER functions below, which
-- check membership and ownership themselves (no table grants for writes, as before).

-- ---------------------------------------------------------------------------------------------
-- Model

alter table public.conversations
  -- Last change-stream position handed out; bumped under the row lock with every change.
  add column last_pos bigint not null default 0;

alter table public.messages
  -- Position of the change that created the message.
  add column pos bigint,
  add column edited_at timestamptz,
  -- A tombstone: content '' and no reactions (attachments go too).
  add column deleted_at timestamptz,
  add column reply_to_id uuid references public.messages (id) on delete set null,
  drop constraint messages_content_check,
  add constraint messages_content_check check (
    case
      when kind = 'system' then content = ''
      when deleted_at is not null then content = ''
      else char_length(content) between 1 and 4000
    end
  ),
  add constraint messages_system_not_changed check (kind = 'text' or (edited_at is null and deleted_at is null and reply_to_id is null));
create index messages_reply_to_idx on public.messages (reply_to_id) where reply_to_id is not null;

create table public.conversation_changes (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  pos bigint not null,
  type text not null check (type in ('message.created', 'message.edited', 'message.deleted', 'reaction.added', 'reaction.removed')),
  message_id uuid not null references public.messages (id) on delete cascade,
  -- Who made the change (the sender, the editor, the reacting user).
  actor_id uuid not null,
  -- reaction.added / reaction.removed: the emoji; else null.
  emoji text,
  created_at timestamptz not null default now(),
  primary key (conversation_id, pos),
  constraint conversation_changes_emoji_shape check ((type like 'reaction.%') = (emoji is not null))
);
create index conversation_changes_message_idx on public.conversation_changes (message_id);

-- One emoji per person per message; the conversation is kept here for row level security.
create table public.message_reactions (
  message_id uuid not null references public.messages (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references public.profiles (id) on delete cascade,
  emoji text not null check (char_length(emoji) between 1 and 16),
  created_at timestamptz not null default clock_timestamp(),
  primary key (message_id, user_id, emoji)
);
create index message_reactions_message_idx on public.message_reactions (message_id, created_at);

-- Nothing lost: today's messages become the stream's first changes (pos = seq, which is gapless).
update public.messages set pos = seq;
update public.conversations set last_pos = last_seq;
insert into public.conversation_changes (conversation_id, pos, type, message_id, actor_id, emoji, created_at)
select m.conversation_id, m.pos, 'message.created', m.id, m.sender_id, null, m.created_at from public.messages m;

-- How long after sending a message its sender may edit it: EDIT_WINDOW_SECONDS as the app's
-- SQL store sets it per transaction (`chat.edit_window_seconds`), else this row (Supabase mode).
insert into public.app_settings (name, value) values ('edit_window_seconds', '86400');

-- ---------------------------------------------------------------------------------------------
-- Row level security: members only, reading only.

alter table public.conversation_changes enable row level security;
alter table public.message_reactions enable row level security;
revoke all on public.conversation_changes, public.message_reactions from public, anon, authenticated;
grant select on public.conversation_changes, public.message_reactions to authenticated;

create policy "members read their conversations' changes"
  on public.conversation_changes for select to authenticated
  using (conversation_id in (select public.my_conversation_ids()));

create policy "members read their conversations' reactions"
  on public.message_reactions for select to authenticated
  using (conversation_id in (select public.my_conversation_ids()));

-- ---------------------------------------------------------------------------------------------
-- A message as every API and push carries it. SECURITY INVOKER: as a user, row level security
-- decides what these read (a reply's quote and the reactions are in the same conversation).

-- A message's attachments (the Attachment shape, in the sender's order). None yet: the
-- attachments migration replaces this function.
create function public.message_attachments(p_message_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select '[]'::jsonb;
$$;

-- What a reply shows of the message it quotes, as it is now (null: no reply, or not visible).
create function public.reply_preview(p_message_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'id', r.id, 'senderId', r.sender_id,
    'excerpt', case when r.deleted_at is null then left(r.content, 200) else '' end,
    'attachmentCount', case when r.deleted_at is null then jsonb_array_length(public.message_attachments(r.id)) else 0 end,
    'deleted', r.deleted_at is not null
  )
  from public.messages r where r.id = p_message_id;
$$;

-- Reactions by emoji, in the order each emoji was first used; who reacted, in reaction order.
create function public.reaction_summary(p_message_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'userIds', to_jsonb(g.users))
                            order by g.first_at, g.emoji), '[]'::jsonb)
  from (
    select r.emoji, count(*) as n, array_agg(r.user_id order by r.created_at, r.user_id) as users, min(r.created_at) as first_at
    from public.message_reactions r where r.message_id = p_message_id
    group by r.emoji
  ) g;
$$;

-- Messages with what the API adds to them (security_invoker: the reader's row level security).
create view public.message_details with (security_invoker = true) as
  select m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at,
         m.kind, m.system_event, m.system_user_ids, m.system_name,
         m.pos, m.edited_at, m.deleted_at, m.reply_to_id,
         public.reply_preview(m.reply_to_id) as reply_to,
         public.reaction_summary(m.id) as reactions,
         public.message_attachments(m.id) as attachments
  from public.messages m;

-- The wire shape of a message (socket-server/contract's chatMessageSchema): for pushes and the
-- change stream. Timestamps as JavaScript prints them (ISO, milliseconds, Z).
create function public.message_json(p_message_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'id', m.id, 'conversationId', m.conversation_id, 'seq', m.seq,
    'senderId', m.sender_id, 'recipientId', m.recipient_id, 'kind', m.kind, 'content', m.content,
    'clientId', m.client_id,
    'createdAt', to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'system', case when m.kind = 'system' then jsonb_build_object(
      'event', m.system_event, 'actorId', m.sender_id, 'userIds', to_jsonb(m.system_user_ids), 'name', m.system_name
    ) end,
    'pos', m.pos,
    'attachments', m.attachments,
    'replyTo', m.reply_to,
    'editedAt', to_char(m.edited_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'deletedAt', to_char(m.deleted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'reactions', m.reactions
  )
  from public.message_details m where m.id = p_message_id;
$$;

revoke execute on function public.reply_preview, public.reaction_summary, public.message_attachments, public.message_json
  from public, anon;
grant execute on function public.reply_preview, public.reaction_summary, public.message_attachments, public.message_json
  to authenticated;
revoke all on public.message_details from public, anon, authenticated;
grant select on public.message_details to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Positions and the change stream (helpers, not callable by users)

-- A new message takes its seq and its pos under the conversation's row lock (as before, now
-- bumping last_pos too); a retry or a twin gives both back.
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
    new.pos := 0;
    return new;
  end if;

  if new.recipient_id is not null then
    insert into public.conversations as c (user_a, user_b, last_seq, last_pos, last_message_at)
    values (least(new.sender_id, new.recipient_id), greatest(new.sender_id, new.recipient_id), 1, 1, now())
    on conflict (user_a, user_b)
    do update set last_seq = c.last_seq + 1, last_pos = c.last_pos + 1, last_message_at = now()
    returning c.id, c.last_seq, c.last_pos into new.conversation_id, new.seq, new.pos;
  else
    update public.conversations c set last_seq = c.last_seq + 1, last_pos = c.last_pos + 1, last_message_at = now()
    where c.id = new.conversation_id and c.kind = 'group'
    returning c.last_seq, c.last_pos into new.seq, new.pos;
    -- Under the lock, with a fresh snapshot: a removal that committed while we waited counts.
    if new.seq is null or (new.kind = 'text' and not exists (
      select 1 from public.conversation_members cm where cm.conversation_id = new.conversation_id and cm.user_id = new.sender_id
    )) then
      raise exception using errcode = 'PT404', message = 'There is no such conversation.', hint = 'conversation_not_found';
    end if;
  end if;

  -- A concurrent twin (same sender and client_id) may have committed while we waited for the
  -- row lock: give the positions back, so a retry race leaves no gap.
  if exists (select 1 from public.messages m where m.sender_id = new.sender_id and m.client_id = new.client_id) then
    update public.conversations set last_seq = last_seq - 1, last_pos = last_pos - 1 where id = new.conversation_id;
    new.seq := 0;
    new.pos := 0;
    return new;
  end if;

  new.created_at := now();
  return new;
end;
$$;

-- A new message is the change at its pos.
create function public.record_message_created()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.conversation_changes (conversation_id, pos, type, message_id, actor_id, emoji, created_at)
  values (new.conversation_id, new.pos, 'message.created', new.id, new.sender_id, null, new.created_at);
  return null;
end;
$$;

create trigger messages_record_created
  after insert on public.messages
  for each row execute function public.record_message_created();

alter table public.messages alter column pos set not null;

-- A message's push: the same shape as before, with the new fields (message_json).
create or replace function public.push_outbox_on_message()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_to uuid[];
  v_removed uuid[] := '{}';
  v_payload jsonb := public.message_json(new.id);
begin
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

alter table public.push_outbox drop constraint push_outbox_type_check;
alter table public.push_outbox add constraint push_outbox_type_check
  check (type in ('message.created', 'read.updated', 'session.revoked', 'conversation.updated', 'message.changed'));

-- One change (an edit, a deletion, a reaction) to a message the caller has locked (lock_message):
-- the next pos, its row in the stream and its `message.changed` push (`to`: a group's members at
-- this commit), all in the caller's transaction.
create function public.record_change(p_message_id uuid, p_type text, p_actor uuid, p_emoji text)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_conversation uuid;
  v_recipient uuid;
  v_pos bigint;
  v_at timestamptz := now();
  v_payload jsonb;
begin
  select m.conversation_id, m.recipient_id into v_conversation, v_recipient from public.messages m where m.id = p_message_id;
  update public.conversations c set last_pos = c.last_pos + 1 where c.id = v_conversation returning c.last_pos into v_pos;
  insert into public.conversation_changes (conversation_id, pos, type, message_id, actor_id, emoji, created_at)
  values (v_conversation, v_pos, p_type, p_message_id, p_actor, p_emoji, v_at);
  v_payload := jsonb_build_object(
    'conversationId', v_conversation, 'pos', v_pos, 'type', p_type, 'actorId', p_actor, 'emoji', p_emoji,
    'at', to_char(v_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'message', public.message_json(p_message_id)
  );
  if v_recipient is null then
    v_payload := v_payload || jsonb_build_object('to', to_jsonb(array(
      select cm.user_id from public.conversation_members cm where cm.conversation_id = v_conversation order by cm.user_id
    )));
  end if;
  insert into public.push_outbox (push_id, type, user_id, payload)
  values ('chg_' || v_conversation || '_' || v_pos, 'message.changed', p_actor, v_payload)
  on conflict on constraint push_outbox_push_id_key do nothing;
  return v_pos;
end;
$$;

-- Locks the message's conversation (the lock that orders its changes) and returns the message as
-- it is under that lock. Anyone but a member (a stranger, a former member) gets PT404
-- message_not_found, exactly as for an id that does not exist.
create function public.lock_message(p_message_id uuid, p_user_id uuid)
returns public.messages
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_conversation uuid;
  v_message public.messages;
begin
  select m.conversation_id into v_conversation from public.messages m where m.id = p_message_id;
  if v_conversation is not null then
    perform 1 from public.conversations c where c.id = v_conversation for update;
  end if;
  -- Fresh statements after the lock: a removal or a change that committed meanwhile counts.
  if v_conversation is null or not exists (
    select 1 from public.conversation_members cm where cm.conversation_id = v_conversation and cm.user_id = p_user_id
  ) then
    raise exception using errcode = 'PT404', message = 'There is no such message.', hint = 'message_not_found';
  end if;
  select m.* into v_message from public.messages m where m.id = p_message_id;
  return v_message;
end;
$$;

-- Only the sender's own text messages may be edited or deleted.
create function public.require_own_message(p_message public.messages, p_user_id uuid)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_message.kind <> 'text' or p_message.sender_id <> p_user_id then
    raise exception using errcode = 'PT403', message = 'Only your own messages can be changed.', hint = 'not_your_message';
  end if;
end;
$$;

create function public.raise_message_deleted()
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  raise exception using errcode = 'PT409', message = 'This message was deleted.', hint = 'message_deleted';
end;
$$;

-- The edit window in seconds (see the app_settings row above); at least 0.
create function public.edit_window_seconds()
returns integer
language plpgsql
stable
set search_path = ''
as $$
declare
  v_rule text := coalesce(
    nullif(current_setting('chat.edit_window_seconds', true), ''),
    (select s.value from public.app_settings s where s.name = 'edit_window_seconds')
  );
begin
  if v_rule ~ '^[0-9]{1,9}$' then
    return v_rule::integer;
  end if;
  return 86400;
end;
$$;

-- An emoji as stored, or PT422 on `emoji`. The app's zod schema checks for exactly one emoji
-- grapheme (Unicode's emoji properties, which Postgres' regular expressions lack); the SQL keeps
-- direct PostgREST callers to something emoji-like: 1–16 code points, no whitespace, controls,
-- bidi controls, ASCII letters or punctuation other than keycap bases, and not ASCII alone.
create function public.checked_emoji(p_emoji text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_emoji is null or char_length(p_emoji) not between 1 and 16
     or p_emoji ~ '[\s\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069A-Za-z!-"$-)+-/:-@\[-`{-~]'
     or p_emoji !~ '[^\u0000-\u007f]' then
    perform public.raise_invalid('emoji', 'emoji must be one emoji');
  end if;
  return p_emoji;
end;
$$;

revoke execute on function public.record_message_created, public.record_change, public.lock_message, public.require_own_message,
  public.raise_message_deleted, public.edit_window_seconds, public.checked_emoji
  from public, anon, authenticated;

-- ---------------------------------------------------------------------------------------------
-- Writes


-- Sends a message as before; p_reply_to_id (optional) quotes an earlier message of the same
-- conversation (PT422 invalid_reply otherwise; a deleted one may be quoted). A repeat of the same
-- clientId must name the same target, content and reply (else PT409 client_id_conflict); once the
-- message was edited or deleted only the target is compared, since its first text is gone.
drop function public.send_message(uuid, text, uuid, uuid);
create function public.send_message(
  p_recipient_id uuid default null, p_content text default null, p_client_id uuid default null, p_conversation_id uuid default null,
  p_reply_to_id uuid default null
)
returns table (
  id uuid, conversation_id uuid, seq bigint, sender_id uuid, recipient_id uuid,
  content text, client_id uuid, created_at timestamptz, kind text, system_event text, system_user_ids uuid[], system_name text,
  pos bigint, edited_at timestamptz, deleted_at timestamptz, reply_to_id uuid, reply_to jsonb, reactions jsonb, attachments jsonb,
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
  v_target uuid := p_conversation_id;
  v_stored public.messages;
  v_id uuid;
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
  if p_reply_to_id is not null then
    if v_target is null then
      select c.id into v_target from public.conversations c
      where c.user_a = least(v_me, v_recipient) and c.user_b = greatest(v_me, v_recipient);
    end if;
    if v_target is null or not exists (select 1 from public.messages m where m.id = p_reply_to_id and m.conversation_id = v_target) then
      raise exception using errcode = 'PT422', message = 'replyToId must be a message of this conversation.',
        detail = 'replyToId', hint = 'invalid_reply';
    end if;
  end if;

  for attempt in 1..2 loop
    -- A retry (or a twin that committed first) is answered with the stored message, even over
    -- the send limit: it stores nothing, and the client must learn that its send went through.
    select m.* into v_stored from public.messages m where m.sender_id = v_me and m.client_id = p_client_id;
    if found then
      if v_stored.recipient_id is distinct from v_recipient or (v_group is not null and v_stored.conversation_id <> v_group)
         or (v_stored.edited_at is null and v_stored.deleted_at is null
             and (v_stored.content <> v_content or v_stored.reply_to_id is distinct from p_reply_to_id)) then
        raise exception using errcode = 'PT409', message = 'This clientId was already used for another message.',
          hint = 'client_id_conflict';
      end if;
      return query select d.*, false from public.message_details d where d.id = v_stored.id;
      return;
    end if;
    if attempt = 2 then
      exit;
    end if;
    perform public.enforce_send_limit(v_me);
    insert into public.messages as m (conversation_id, sender_id, recipient_id, content, client_id, reply_to_id)
    values (v_group, v_me, v_recipient, v_content, p_client_id, p_reply_to_id)
    on conflict on constraint messages_sender_client_key do nothing
    returning m.id into v_id;
    if v_id is not null then
      return query select d.*, true from public.message_details d where d.id = v_id;
      return;
    end if;
  end loop;
  raise exception 'send_message: message % vanished', p_client_id;
end;
$$;

-- Edits the caller's own text message: the same content rules as sending, within the edit window
-- (PT422 edit_window_closed), not once deleted (PT409 message_deleted). The same text again
-- changes nothing (no new change). Returns the message as it is now.
create function public.edit_message(p_message_id uuid, p_content text)
returns setof public.message_details
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := public.require_user();
  v_content text := public.checked_message_content(p_content);
  v_message public.messages := public.lock_message(p_message_id, v_me);
begin
  perform public.require_own_message(v_message, v_me);
  if v_message.deleted_at is not null then
    perform public.raise_message_deleted();
  end if;
  if v_message.content <> v_content then
    if v_message.created_at < now() - make_interval(secs => public.edit_window_seconds()) then
      raise exception using errcode = 'PT422', message = 'This message can no longer be edited.', detail = 'content',
        hint = 'edit_window_closed';
    end if;
    update public.messages m set content = v_content, edited_at = now() where m.id = p_message_id;
    perform public.record_change(p_message_id, 'message.edited', v_me, null);
  end if;
  return query select * from public.message_details d where d.id = p_message_id;
end;
$$;

-- Deletes the caller's own message: a tombstone (content '', no reactions; the attachments
-- migration also drops its attachments) that keeps its place. Deleting it again changes nothing.
create function public.delete_message(p_message_id uuid)
returns setof public.message_details
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := public.require_user();
  v_message public.messages := public.lock_message(p_message_id, v_me);
begin
  perform public.require_own_message(v_message, v_me);
  if v_message.deleted_at is null then
    delete from public.message_reactions r where r.message_id = p_message_id;
    update public.messages m set content = '', deleted_at = now() where m.id = p_message_id;
    perform public.record_change(p_message_id, 'message.deleted', v_me, null);
  end if;
  return query select * from public.message_details d where d.id = p_message_id;
end;
$$;

-- Most distinct emoji on one message.
create function public.reactions_per_message_max()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 20;
$$;

-- Adds (p_add) or removes the caller's reaction: any member, on any text message that is not
-- deleted (PT409 message_deleted; a system message PT422 system_message). Idempotent: a reaction
-- already there (or already gone) changes nothing. At most reactions_per_message_max() distinct
-- emoji per message (PT422 too_many_reactions).
create function public.set_reaction(p_message_id uuid, p_emoji text, p_add boolean)
returns setof public.message_details
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := public.require_user();
  v_emoji text := public.checked_emoji(p_emoji);
  v_message public.messages := public.lock_message(p_message_id, v_me);
begin
  if v_message.kind <> 'text' then
    raise exception using errcode = 'PT422', message = 'System messages take no reactions.', hint = 'system_message';
  end if;
  if v_message.deleted_at is not null then
    perform public.raise_message_deleted();
  end if;
  if coalesce(p_add, true) then
    if not exists (select 1 from public.message_reactions r where r.message_id = p_message_id and r.user_id = v_me and r.emoji = v_emoji) then
      if not exists (select 1 from public.message_reactions r where r.message_id = p_message_id and r.emoji = v_emoji)
         and (select count(distinct r.emoji) from public.message_reactions r where r.message_id = p_message_id)
             >= public.reactions_per_message_max() then
        raise exception using errcode = 'PT422',
          message = format('A message takes at most %s different reactions.', public.reactions_per_message_max()),
          detail = 'emoji', hint = 'too_many_reactions';
      end if;
      insert into public.message_reactions (message_id, conversation_id, user_id, emoji)
      values (p_message_id, v_message.conversation_id, v_me, v_emoji);
      perform public.record_change(p_message_id, 'reaction.added', v_me, v_emoji);
    end if;
  else
    delete from public.message_reactions r where r.message_id = p_message_id and r.user_id = v_me and r.emoji = v_emoji;
    if found then
      perform public.record_change(p_message_id, 'reaction.removed', v_me, v_emoji);
    end if;
  end if;
  return query select * from public.message_details d where d.id = p_message_id;
end;
$$;

create function public.add_reaction(p_message_id uuid, p_emoji text)
returns setof public.message_details
language sql
security definer
set search_path = ''
as $$
  select * from public.set_reaction(p_message_id, p_emoji, true);
$$;

create function public.remove_reaction(p_message_id uuid, p_emoji text)
returns setof public.message_details
language sql
security definer
set search_path = ''
as $$
  select * from public.set_reaction(p_message_id, p_emoji, false);
$$;

-- ---------------------------------------------------------------------------------------------
-- Reads: every message with its new fields.

-- One page of a conversation, as before (by peer or by conversation id), with the new fields.
drop function public.get_messages(uuid, integer, uuid, uuid, uuid);
create function public.get_messages(
  p_peer_id uuid default null, p_limit integer default 50, p_before uuid default null, p_after uuid default null,
  p_conversation_id uuid default null
)
returns setof public.message_details
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
      select d.* from public.message_details d
      where d.conversation_id = v_conversation and d.seq > v_cursor_seq
      order by d.seq asc
      limit v_limit;
  else
    return query
      select page.* from (
        select d.* from public.message_details d
        where d.conversation_id = v_conversation and (v_cursor_seq is null or d.seq < v_cursor_seq)
        order by d.seq desc
        limit v_limit
      ) page
      order by page.seq asc;
  end if;
end;
$$;

-- The caller's own message with this client_id.
drop function public.get_sent_message(uuid);
create function public.get_sent_message(p_client_id uuid)
returns setof public.message_details
language sql
stable
security invoker
set search_path = ''
as $$
  select d.* from public.message_details d where d.sender_id = (select auth.uid()) and d.client_id = p_client_id;
$$;

-- The changes of a conversation (by id, or the direct one with p_peer_id) after position p_after,
-- in order (at most p_limit, clamped to 1..100), each with the message as it is now, and the
-- conversation's newest position: one row. A conversation id the caller is not a member of is
-- PT404 conversation_not_found; no conversation with that peer yet: no changes, position 0.
-- STABLE: one snapshot, so the changes and last_pos agree.
create function public.get_changes(
  p_conversation_id uuid default null, p_peer_id uuid default null, p_after bigint default 0, p_limit integer default 100
)
returns table (changes jsonb, last_pos bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_me uuid := (select auth.uid());
  v_limit integer := greatest(1, least(100, coalesce(p_limit, 100)));
  v_conversation uuid;
  v_last_pos bigint;
begin
  if (p_conversation_id is null) = (p_peer_id is null) then
    raise exception using errcode = 'PT422', message = 'name either conversationId or with, not both', detail = 'conversationId',
      hint = 'validation_failed';
  end if;
  if p_conversation_id is not null then
    select c.id, c.last_pos into v_conversation, v_last_pos from public.conversations c where c.id = p_conversation_id;
    if v_conversation is null then
      raise exception using errcode = 'PT404', message = 'There is no such conversation.', hint = 'conversation_not_found';
    end if;
  else
    select c.id, c.last_pos into v_conversation, v_last_pos
    from public.conversations c
    where c.user_a = least(v_me, p_peer_id) and c.user_b = greatest(v_me, p_peer_id);
  end if;
  if v_conversation is null then
    return query select '[]'::jsonb, 0::bigint;
    return;
  end if;
  return query
    select coalesce(jsonb_agg(page.change order by page.pos), '[]'::jsonb), v_last_pos
    from (
      select ch.pos, jsonb_build_object(
        'conversationId', ch.conversation_id, 'pos', ch.pos, 'type', ch.type, 'actorId', ch.actor_id, 'emoji', ch.emoji,
        'at', to_char(ch.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'message', public.message_json(ch.message_id)
      ) as change
      from public.conversation_changes ch
      where ch.conversation_id = v_conversation and ch.pos > greatest(coalesce(p_after, 0), 0)
      order by ch.pos
      limit v_limit
    ) page;
end;
$$;

-- The conversation list, as before, with each conversation's last change-stream position and the
-- last message's new fields.
drop function public.get_conversation(uuid);
drop function public.list_conversations(integer, uuid);
create function public.list_conversations(p_limit integer default 100, p_conversation_id uuid default null)
returns table (
  conversation_id uuid, kind text, name text, role text, last_message_at timestamptz,
  peer_id uuid, peer_email text, peer_display_name text,
  member_count bigint, member_preview jsonb,
  message_id uuid, seq bigint, sender_id uuid, recipient_id uuid, content text, client_id uuid, created_at timestamptz,
  message_kind text, system_event text, system_user_ids uuid[], system_name text,
  last_read_seq bigint, peer_last_read_seq bigint, unread_count bigint, read_states jsonb,
  last_pos bigint, pos bigint, edited_at timestamptz, deleted_at timestamptz, reply_to_id uuid, reply_to jsonb, reactions jsonb,
  attachments jsonb
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
          where om.conversation_id = c.id and om.user_id <> me.user_id),
         c.last_pos, m.pos, m.edited_at, m.deleted_at, m.reply_to_id,
         public.reply_preview(m.reply_to_id), public.reaction_summary(m.id), public.message_attachments(m.id)
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

-- One conversation as list_conversations shows it, plus every member (unchanged but for the list's new columns).
create function public.get_conversation(p_conversation_id uuid)
returns table (
  conversation_id uuid, kind text, name text, role text, last_message_at timestamptz,
  peer_id uuid, peer_email text, peer_display_name text,
  member_count bigint, member_preview jsonb,
  message_id uuid, seq bigint, sender_id uuid, recipient_id uuid, content text, client_id uuid, created_at timestamptz,
  message_kind text, system_event text, system_user_ids uuid[], system_name text,
  last_read_seq bigint, peer_last_read_seq bigint, unread_count bigint, read_states jsonb,
  last_pos bigint, pos bigint, edited_at timestamptz, deleted_at timestamptz, reply_to_id uuid, reply_to jsonb, reactions jsonb,
  attachments jsonb,
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

revoke execute on function public.send_message, public.edit_message, public.delete_message, public.set_reaction,
  public.add_reaction, public.remove_reaction, public.reactions_per_message_max,
  public.get_messages, public.get_sent_message, public.get_changes, public.list_conversations, public.get_conversation
  from public, anon;
grant execute on function public.send_message, public.edit_message, public.delete_message,
  public.add_reaction, public.remove_reaction,
  public.get_messages, public.get_sent_message, public.get_changes, public.list_conversations, public.get_conversation
  to authenticated;
revoke execute on function public.set_reaction, public.reactions_per_message_max from authenticated;
