-- Attachments (issue 15). An upload is a row here (pending until its bytes are checked, then
-- ready) and one or two objects in storage: `<conversation>/<attachment>/original` and, for an
-- image, `…/preview`. The bytes live on local disk (embedded and DATABASE_URL modes) or in the
-- private Supabase Storage bucket `attachments` made below; either way only the members of the
-- conversation read them, and an upload nobody sent within 24 h is swept (with its files).
--
-- A sent message's attachments are the rows with its message_id, in `position` order: this
-- migration fills in message_attachments() (the lifecycle migration's placeholder), so every
-- reader of messages (history, pushes, changes, replies) carries them. A deleted message shows
-- none; its files become unreadable at once and the sweep removes them.

-- ---------------------------------------------------------------------------------------------
-- Model

create table public.attachments (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  uploader_id uuid not null references public.profiles (id) on delete cascade,
  -- Null until a message carries it; the sweep removes it 24 h after created_at if still null.
  -- Deferred: send_message links the attachments first, so the message's own push carries them.
  message_id uuid references public.messages (id) on delete set null deferrable initially deferred,
  -- Order within its message.
  position smallint,
  name text not null check (char_length(name) between 1 and 255),
  -- Sniffed from the bytes by the server at completion; application/octet-stream until then.
  content_type text not null default 'application/octet-stream' check (char_length(content_type) between 1 and 255),
  size bigint not null check (size >= 0),
  kind text not null default 'file' check (kind in ('image', 'file')),
  width integer check (width > 0),
  height integer check (height > 0),
  storage_key text not null unique,
  status text not null default 'pending' check (status in ('pending', 'ready')),
  created_at timestamptz not null default now(),
  check ((kind = 'image') = (width is not null and height is not null))
);
create index attachments_message_idx on public.attachments (message_id) where message_id is not null;
create index attachments_uploader_idx on public.attachments (uploader_id);
create index attachments_unsent_idx on public.attachments (created_at) where message_id is null;

-- A text message with attachments may have no text.
alter table public.messages
  add column attachment_count smallint not null default 0 check (attachment_count between 0 and 10),
  drop constraint messages_content_check,
  add constraint messages_content_check check (
    case
      when kind = 'system' then content = ''
      when deleted_at is not null then content = ''
      else char_length(content) between (case when attachment_count > 0 then 0 else 1 end) and 4000
    end
  );

insert into public.app_settings (name, value) values
  ('attachment_max_bytes', '26214400'),
  ('attachment_quota_bytes', '1073741824');

-- ---------------------------------------------------------------------------------------------
-- Helpers

-- ATTACHMENT_MAX_BYTES / ATTACHMENT_QUOTA_BYTES as the app's SQL store sets them per transaction
-- (`chat.attachment_max_bytes`…), else the app_settings row (Supabase mode), else p_default.
create function public.attachment_limit(p_name text, p_default bigint)
returns bigint
language plpgsql
stable
set search_path = ''
as $$
declare
  v_rule text := coalesce(
    nullif(current_setting('chat.' || p_name, true), ''),
    (select s.value from public.app_settings s where s.name = p_name)
  );
begin
  if v_rule ~ '^[0-9]{1,18}$' then
    return v_rule::bigint;
  end if;
  return p_default;
end;
$$;

-- The attachment if the caller may read it: a member of its conversation, and either it was
-- sent (in a message not deleted) or the caller uploaded it and has not sent it yet. SECURITY
-- DEFINER: the policies call it; it only ever answers for auth.uid().
create function public.readable_attachment(p_id uuid)
returns setof public.attachments
language sql
stable
security definer
set search_path = ''
as $$
  select a.* from public.attachments a
  join public.conversation_members cm on cm.conversation_id = a.conversation_id and cm.user_id = (select auth.uid())
  left join public.messages m on m.id = a.message_id
  where a.id = p_id
    and ((a.message_id is null and a.uploader_id = (select auth.uid())) or (m.id is not null and m.deleted_at is null));
$$;

-- A message's attachments in the wire shape (the contract's Attachment), in the sender's order;
-- none once it is deleted. Replaces the lifecycle migration's placeholder. SECURITY INVOKER, as
-- before: as a user, row level security decides.
create or replace function public.message_attachments(p_message_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', a.id, 'name', a.name, 'contentType', a.content_type, 'size', a.size,
           'kind', a.kind, 'width', a.width, 'height', a.height
         ) order by a.position, a.id), '[]'::jsonb)
  from public.attachments a
  join public.messages m on m.id = a.message_id and m.deleted_at is null
  where a.message_id = p_message_id;
$$;

-- Storage object names `<conversation>/<attachment>/<original|preview>`: may the caller read it?
create function public.can_read_attachment_object(p_name text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.readable_attachment(
      case when split_part(p_name, '/', 2) ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        then split_part(p_name, '/', 2)::uuid end
    ) a
    where p_name in (a.storage_key, a.conversation_id || '/' || a.id || '/preview')
  );
$$;

-- May the caller write that object: their own pending upload, still a member.
create function public.can_write_attachment_object(p_name text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.attachments a
    join public.conversation_members cm on cm.conversation_id = a.conversation_id and cm.user_id = a.uploader_id
    where a.uploader_id = (select auth.uid()) and a.status = 'pending'
      and p_name in (a.storage_key, a.conversation_id || '/' || a.id || '/preview')
  );
$$;

revoke execute on function public.attachment_limit from public, anon, authenticated;
revoke execute on function public.readable_attachment, public.can_read_attachment_object, public.can_write_attachment_object
  from public, anon;
grant execute on function public.readable_attachment, public.can_read_attachment_object, public.can_write_attachment_object
  to authenticated;

-- ---------------------------------------------------------------------------------------------
-- Row level security: members read what they may (the functions are the only write path).

alter table public.attachments enable row level security;
revoke all on public.attachments from public, anon, authenticated;
grant select on public.attachments to authenticated;
create policy "members read their conversations' attachments"
  on public.attachments for select to authenticated
  using (exists (select 1 from public.readable_attachment(id)));

-- ---------------------------------------------------------------------------------------------
-- Storage (Supabase Storage; the embedded and plain Postgres databases get the same tables
-- from the shim, so the policies are tested everywhere): a private bucket, objects readable by
-- the members of their conversation, writable by the uploader of a pending attachment.

insert into storage.buckets (id, name, public, file_size_limit)
values ('attachments', 'attachments', false, 26214400)
on conflict (id) do update set public = false;

create policy "members read their conversations' attachment files"
  on storage.objects for select to authenticated
  using (bucket_id = 'attachments' and public.can_read_attachment_object(name));
create policy "uploaders write their pending attachment files"
  on storage.objects for insert to authenticated
  with check (bucket_id = 'attachments' and public.can_write_attachment_object(name));
create policy "uploaders replace their pending attachment files"
  on storage.objects for update to authenticated
  using (bucket_id = 'attachments' and public.can_write_attachment_object(name))
  with check (bucket_id = 'attachments' and public.can_write_attachment_object(name));

-- ---------------------------------------------------------------------------------------------
-- Functions

-- A pending upload of p_size bytes named p_name, in p_conversation_id (a member's) or the direct
-- conversation with p_peer_id (made if there is none yet: an empty one lists nowhere until its
-- first message). PT413 attachment_too_large / quota_exceeded (every upload of the caller counts).
create function public.create_attachment(
  p_conversation_id uuid default null, p_peer_id uuid default null, p_name text default null, p_size bigint default null
)
returns setof public.attachments
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := public.require_user();
  v_conversation uuid;
  v_id uuid := gen_random_uuid();
  v_used bigint;
begin
  if (p_conversation_id is null) = (p_peer_id is null) then
    perform public.raise_invalid('conversationId', 'send exactly one of conversationId and with');
  end if;
  if p_name is null or char_length(p_name) not between 1 and 255 or p_name ~ '[\u0001-\u001f\u007f/\\]' then
    perform public.raise_invalid('name', 'name must be a file name of 1 to 255 characters');
  end if;
  if p_size is null or p_size < 1 then
    perform public.raise_invalid('size', 'size must be at least 1 byte');
  end if;
  if p_size > public.attachment_limit('attachment_max_bytes', 26214400) then
    raise exception using errcode = 'PT413',
      message = format('A file may be at most %s bytes.', public.attachment_limit('attachment_max_bytes', 26214400)),
      detail = 'size', hint = 'attachment_too_large';
  end if;
  if p_conversation_id is not null then
    select cm.conversation_id into v_conversation from public.conversation_members cm
    where cm.conversation_id = p_conversation_id and cm.user_id = v_me;
  else
    if p_peer_id = v_me then
      raise exception using errcode = 'PT400', message = 'You cannot send a message to yourself.', hint = 'cannot_message_self';
    end if;
    perform public.require_profiles(array[p_peer_id]);
    insert into public.conversations as c (user_a, user_b, last_seq, last_message_at)
    values (least(v_me, p_peer_id), greatest(v_me, p_peer_id), 0, now())
    on conflict (user_a, user_b) do nothing;
    select c.id into v_conversation from public.conversations c
    where c.user_a = least(v_me, p_peer_id) and c.user_b = greatest(v_me, p_peer_id);
  end if;
  if v_conversation is null then
    raise exception using errcode = 'PT404', message = 'There is no such conversation.', hint = 'conversation_not_found';
  end if;
  -- One upload at a time per user, so two at once cannot both pass the quota.
  perform pg_advisory_xact_lock(hashtextextended('chat.attachment_quota:' || v_me::text, 0));
  select coalesce(sum(a.size), 0) into v_used from public.attachments a where a.uploader_id = v_me;
  if v_used + p_size > public.attachment_limit('attachment_quota_bytes', 1073741824) then
    raise exception using errcode = 'PT413', message = 'Your attachments have used up their storage quota.',
      detail = 'size', hint = 'quota_exceeded';
  end if;
  return query
    insert into public.attachments (id, conversation_id, uploader_id, name, size, storage_key)
    values (v_id, v_conversation, v_me, p_name, p_size, v_conversation || '/' || v_id || '/original')
    returning *;
end;
$$;

-- The attachment if the caller may read it (a member; an unsent one only for its uploader).
create function public.get_attachment(p_id uuid)
returns setof public.attachments
language sql
stable
security definer
set search_path = ''
as $$
  select * from public.readable_attachment(p_id);
$$;

-- The caller's own pending upload with the server's findings (sniffed type, size, image size):
-- now ready. Empty when there is no such pending upload of the caller's (already ready: the row as is).
create function public.complete_attachment(
  p_id uuid, p_content_type text, p_size bigint, p_kind text, p_width integer default null, p_height integer default null
)
returns setof public.attachments
language sql
volatile
security definer
set search_path = ''
as $$
  with done as (
    update public.attachments a
    set status = 'ready', content_type = p_content_type, size = p_size, kind = p_kind, width = p_width, height = p_height
    where a.id = p_id and a.uploader_id = (select auth.uid()) and a.status = 'pending'
      and exists (select 1 from public.conversation_members cm where cm.conversation_id = a.conversation_id and cm.user_id = a.uploader_id)
    returning a.*
  )
  select * from done
  union all
  select a.* from public.attachments a where a.id = p_id and a.uploader_id = (select auth.uid()) and a.status = 'ready';
$$;

-- The cleanup sweep (service role only): uploads no message took within 24 h, and the files of
-- deleted messages. It returns the storage keys to remove; the rows
-- go with delete_swept_attachments once the files are gone.
create function public.claim_attachment_sweep(p_limit integer default 100)
returns table (id uuid, storage_key text, preview_key text)
language sql
stable
security definer
set search_path = ''
as $$
  select a.id, a.storage_key, a.conversation_id || '/' || a.id || '/preview'
  from public.attachments a
  left join public.messages m on m.id = a.message_id
  where (a.message_id is null and a.created_at < now() - interval '24 hours') or m.deleted_at is not null
  order by a.created_at
  limit greatest(1, least(1000, coalesce(p_limit, 100)));
$$;

create function public.delete_swept_attachments(p_ids uuid[])
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  delete from public.attachments a where a.id = any (p_ids);
$$;

revoke execute on function public.create_attachment, public.get_attachment, public.complete_attachment,
  public.claim_attachment_sweep, public.delete_swept_attachments from public, anon, authenticated;
grant execute on function public.create_attachment, public.get_attachment, public.complete_attachment to authenticated;
grant execute on function public.claim_attachment_sweep, public.delete_swept_attachments to service_role;

-- ---------------------------------------------------------------------------------------------
-- Sending with attachments

-- Sends a message as before (reply, idempotency, limits: see the lifecycle migration), now with
-- p_attachment_ids: at most 10 (PT422 too_many_attachments), each the caller's own ready upload
-- of this conversation that no message carries yet (PT422 invalid_attachments); the text may then
-- be empty. The attachments are linked before the message is inserted (the foreign key is
-- deferred), so the message's own push already carries them. A repeat of the same clientId must
-- name the same attachments, in the same order (else PT409 client_id_conflict).
drop function public.send_message(uuid, text, uuid, uuid, uuid);
create function public.send_message(
  p_recipient_id uuid default null, p_content text default null, p_client_id uuid default null, p_conversation_id uuid default null,
  p_reply_to_id uuid default null, p_attachment_ids uuid[] default null
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
  v_ids uuid[] := coalesce(p_attachment_ids, '{}');
  v_content text;
  v_group uuid;
  v_recipient uuid := p_recipient_id;
  v_kind text;
  v_target uuid := p_conversation_id;
  v_stored public.messages;
  v_id uuid;
  v_new_id uuid;
  v_usable integer;
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
  if cardinality(v_ids) > 10 then
    raise exception using errcode = 'PT422', message = 'A message carries at most 10 attachments.',
      detail = 'attachmentIds', hint = 'too_many_attachments';
  end if;
  if array_position(v_ids, null) is not null or (select count(distinct x) from unnest(v_ids) x) <> cardinality(v_ids) then
    perform public.raise_invalid('attachmentIds', 'attachmentIds must be distinct attachment ids');
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
  if cardinality(v_ids) > 0 and public.chat_trim(coalesce(p_content, '')) = '' then
    v_content := '';
  else
    v_content := public.checked_message_content(p_content);
  end if;
  if v_target is null and (p_reply_to_id is not null or cardinality(v_ids) > 0) then
    select c.id into v_target from public.conversations c
    where c.user_a = least(v_me, v_recipient) and c.user_b = greatest(v_me, v_recipient);
  end if;
  if p_reply_to_id is not null then
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
             and (v_stored.content <> v_content or v_stored.reply_to_id is distinct from p_reply_to_id
                  or coalesce((select array_agg(a.id order by a.position) from public.attachments a where a.message_id = v_stored.id), '{}')
                     <> v_ids)) then
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
    v_new_id := gen_random_uuid();
    if cardinality(v_ids) > 0 then
      -- Locked: of two sends naming the same upload, the second sees it taken.
      perform 1 from public.attachments a where a.id = any (v_ids) order by a.id for update;
      select count(*) into v_usable from public.attachments a
      where a.id = any (v_ids) and a.uploader_id = v_me and a.conversation_id = v_target and a.status = 'ready' and a.message_id is null;
      if v_usable <> cardinality(v_ids) then
        raise exception using errcode = 'PT422',
          message = 'attachmentIds must be your own completed uploads in this conversation, not sent before.',
          detail = 'attachmentIds', hint = 'invalid_attachments';
      end if;
      update public.attachments a set message_id = v_new_id, position = array_position(v_ids, a.id) where a.id = any (v_ids);
    end if;
    insert into public.messages as m (id, conversation_id, sender_id, recipient_id, content, client_id, reply_to_id, attachment_count)
    values (v_new_id, v_group, v_me, v_recipient, v_content, p_client_id, p_reply_to_id, cardinality(v_ids))
    on conflict on constraint messages_sender_client_key do nothing
    returning m.id into v_id;
    if v_id is not null then
      return query select d.*, true from public.message_details d where d.id = v_id;
      return;
    end if;
    -- A twin won the race: its message is the one; these attachments stay unsent.
    update public.attachments a set message_id = null, position = null where a.message_id = v_new_id;
  end loop;
  raise exception 'send_message: message % vanished', p_client_id;
end;
$$;

revoke execute on function public.send_message from public, anon;
grant execute on function public.send_message to authenticated;
