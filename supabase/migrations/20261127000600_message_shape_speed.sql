-- The message shape for less: measured on the embedded PGlite and on Postgres (bench/history.ts,
-- bench/e2e-send.ts).
--
-- 1. message_details computed set-based. The view called three SQL functions per row
-- (reply_preview, reaction_summary, message_attachments); functions with a SET clause are never
-- inlined, so a page of 50 made 150 calls, each with its own executor start and search_path
-- switch: a history page cost ~6 ms in the database against ~1 ms for the same rows through
-- lateral joins (bench/history.ts). Same columns, same values, same row level security (the
-- view stays security_invoker: the reader's policies apply to every table it reads); the three
-- functions stay for their other callers.
create or replace view public.message_details with (security_invoker = true) as
  select m.id, m.conversation_id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at,
         m.kind, m.system_event, m.system_user_ids, m.system_name,
         m.pos, m.edited_at, m.deleted_at, m.reply_to_id,
         quoted.reply_to,
         reacted.reactions,
         attached.attachments
  from public.messages m
  -- What a reply shows of the message it quotes, as it is now (null: no reply, or not visible).
  left join lateral (
    select jsonb_build_object(
      'id', r.id, 'senderId', r.sender_id,
      'excerpt', case when r.deleted_at is null then left(r.content, 200) else '' end,
      'attachmentCount', case when r.deleted_at is null
        then (select count(*) from public.attachments ra where ra.message_id = r.id)::integer else 0 end,
      'deleted', r.deleted_at is not null
    ) as reply_to
    from public.messages r
    where r.id = m.reply_to_id
  ) quoted on true
  -- Reactions by emoji, in the order each emoji was first used; who reacted, in reaction order.
  left join lateral (
    select coalesce(jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'userIds', to_jsonb(g.users))
                              order by g.first_at, g.emoji), '[]'::jsonb) as reactions
    from (
      select r.emoji, count(*) as n, array_agg(r.user_id order by r.created_at, r.user_id) as users, min(r.created_at) as first_at
      from public.message_reactions r
      where r.message_id = m.id
      group by r.emoji
    ) g
  ) reacted on true
  -- Attachments in the sender's order; none once the message is deleted.
  left join lateral (
    select coalesce(jsonb_agg(jsonb_build_object(
             'id', a.id, 'name', a.name, 'contentType', a.content_type, 'size', a.size,
             'kind', a.kind, 'width', a.width, 'height', a.height
           ) order by a.position, a.id), '[]'::jsonb) as attachments
    from public.attachments a
    where a.message_id = m.id and m.deleted_at is null
  ) attached on true;

-- create or replace keeps the view's grants; stated again so this file reads whole.
revoke all on public.message_details from public, anon, authenticated;
grant select on public.message_details to authenticated;

-- 2. message_json in PL/pgSQL. A SQL function that cannot be inlined (this one has a SET clause)
-- is planned again on every call; PL/pgSQL keeps its plans for the session. The outbox trigger
-- builds every message's push with it, and on PGlite that planning was most of what the trigger
-- cost: a send 7.5 ms with the trigger and 4.2 ms without; 4.2 ms with it after this change.
-- Same body, same result (null for a message the caller cannot see).
create or replace function public.message_json(p_message_id uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return (select jsonb_build_object(
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
  from public.message_details m where m.id = p_message_id);
end;
$$;
