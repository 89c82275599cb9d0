-- A page of history as the API sends it: get_messages' rows in the wire shape (the one
-- message_json gives the pushes), as one JSON text that the web app wraps and passes through
-- instead of parsing every row and serializing the page again (bench/history.ts), with the
-- row count and the first id for the next cursor. Same arguments, errors and row level
-- security as get_messages, which it calls.
create function public.get_messages_page(
  p_peer_id uuid default null, p_limit integer default 50, p_before uuid default null, p_after uuid default null,
  p_conversation_id uuid default null
)
returns table (messages text, message_count integer, first_id uuid)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  -- PL/pgSQL keeps the plan for the session (a SQL function with a SET clause is planned per call).
  return query
  select
    coalesce(json_agg(json_build_object(
      'id', m.id, 'conversationId', m.conversation_id, 'seq', m.seq,
      'senderId', m.sender_id, 'recipientId', m.recipient_id, 'kind', m.kind, 'content', m.content,
      'clientId', m.client_id,
      'createdAt', to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'system', case when m.kind = 'system' then json_build_object(
        'event', m.system_event, 'actorId', m.sender_id, 'userIds', coalesce(to_json(m.system_user_ids), '[]'::json),
        'name', m.system_name
      ) end,
      'pos', coalesce(m.pos, 0),
      'attachments', coalesce(m.attachments, '[]'::jsonb),
      'replyTo', m.reply_to,
      'editedAt', to_char(m.edited_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'deletedAt', to_char(m.deleted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'reactions', coalesce(m.reactions, '[]'::jsonb)
    ) order by m.seq), '[]'::json)::text,
    count(*)::integer,
    (array_agg(m.id order by m.seq))[1]
  from public.get_messages(p_peer_id, p_limit, p_before, p_after, p_conversation_id) m;
end;
$$;

revoke execute on function public.get_messages_page from public, anon;
grant execute on function public.get_messages_page to authenticated;
