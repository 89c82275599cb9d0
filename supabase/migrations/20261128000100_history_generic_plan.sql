-- History pages without planning each one. get_messages is PL/pgSQL, whose queries are
-- cached plans, but its page query (the message_details view: three lateral lookups and the
-- reader's row level security) was planned again on every call: its generic plan, with the
-- page size unknown, was estimated at a tenth of the conversation and so never chosen. That
-- planning was ~0.4 ms of the ~0.7 ms a page took in the database (bench/history.ts; 1,000
-- pages in one statement as a user, 1,000,000-message conversation: 0.71 → 0.34 ms).
-- - plan_cache_mode = force_generic_plan: plan each query once per session. Every query here is
--   driven by the unique (conversation_id, seq) index, which no parameter value changes.
-- - The first page and a page before a cursor are separate queries now: the generic plan of
--   `(cursor is null or seq < cursor)` could not use the index for `seq < cursor`, and a page
--   deep in history would have walked back from the newest message.
-- - jit = off: the generic plan's estimate (a tenth of the conversation) is past jit_above_cost,
--   and compiling it took ~300 ms on Postgres 15 for a page that runs in a fraction of a ms.
-- Same arguments, results, errors and row level security.
create or replace function public.get_messages(
  p_peer_id uuid default null, p_limit integer default 50, p_before uuid default null, p_after uuid default null,
  p_conversation_id uuid default null
)
returns setof public.message_details
language plpgsql
stable
security invoker
set search_path = ''
set plan_cache_mode = force_generic_plan
set jit = off
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
  elsif v_cursor_seq is not null then
    return query
      select page.* from (
        select d.* from public.message_details d
        where d.conversation_id = v_conversation and d.seq < v_cursor_seq
        order by d.seq desc
        limit v_limit
      ) page
      order by page.seq asc;
  else
    return query
      select page.* from (
        select d.* from public.message_details d
        where d.conversation_id = v_conversation
        order by d.seq desc
        limit v_limit
      ) page
      order by page.seq asc;
  end if;
end;
$$;
