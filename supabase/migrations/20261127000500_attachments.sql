-- Attachments (issue 15). An upload is a row here (pending until its bytes are checked, then
-- ready) and one or two objects in storage: `<conversation>/<attachment>/original` and, for an
-- image, `…/preview`. The bytes live on local disk (embedded and DATABASE_URL modes) or in the
-- private Supabase Storage bucket `attachments` made below; either way only the members of the
-- conversation read them, and an upload nobody sent within 24 h is swept (with its files).
--
-- A sent message keeps a copy of its attachments' public fields in messages.attachments (jsonb,
-- in the order sent), so every reader of messages (history, pushes, changes) carries them
-- without another query; the rows stay the source for access checks and the sweep.

-- ---------------------------------------------------------------------------------------------
-- Model

create table public.attachments (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  uploader_id uuid not null references public.profiles (id) on delete cascade,
  -- Null until a message carries it; the sweep removes it 24 h after created_at if still null.
  message_id uuid references public.messages (id) on delete set null,
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

alter table public.messages add column attachments jsonb not null default '[]'::jsonb;

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
-- sent (in a message that still shows it) or the caller uploaded it. SECURITY DEFINER: the
-- storage policies call it; it only ever answers for auth.uid().
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
    and ((a.message_id is null and a.uploader_id = (select auth.uid()))
      or m.attachments @> jsonb_build_array(jsonb_build_object('id', a.id)));
$$;

-- What the API shows of an attachment (the contract's Attachment).
create function public.attachment_json(p_attachment public.attachments)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', p_attachment.id, 'name', p_attachment.name, 'contentType', p_attachment.content_type, 'size', p_attachment.size,
    'kind', p_attachment.kind, 'width', p_attachment.width, 'height', p_attachment.height
  );
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

revoke execute on function public.attachment_limit, public.attachment_json from public, anon, authenticated;
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
-- messages that no longer show them (deleted). It returns the storage keys to remove; the rows
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
  where (a.message_id is null and a.created_at < now() - interval '24 hours')
     or (a.message_id is not null and not m.attachments @> jsonb_build_array(jsonb_build_object('id', a.id)))
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
