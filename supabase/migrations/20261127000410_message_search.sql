-- Full-text search over the messages of your own conversations (issue 16).
--
-- Text search configuration: 'simple'. Chat is multilingual, often within one conversation, and a
-- message says nothing about its language: a language's configuration ('english', 'german'…)
-- would stem and drop stop words for that language only and mangle the others. 'simple' only
-- lowercases the words the default parser finds, the same for every language, and every
-- Postgres (PGlite and Supabase included) has it. What that costs (no stemming) is made up by
-- matching every word of the query as a prefix: "meet" finds "meeting". Scripts written without
-- spaces between words (Chinese, Japanese, Thai) are one word per run of text, found by its
-- beginning only.
--
-- A query is its words (as to_tsvector('simple') splits them), all of which must match, each as
-- a prefix; no operators, so any text is a valid query. Results are ranked by ts_rank, then
-- newest first, with a keyset cursor (rank, created_at, id). The highlight is ts_headline's with
-- U+E000 and U+E001 around each match (removed from the text first, so a message cannot fake
-- a match): the whole message up to 600 characters, excerpts of a longer one. The client renders
-- the markers as <mark>, never as HTML.

-- The index the search uses: the same expression as search_messages's match.
create index messages_search_idx on public.messages using gin (to_tsvector('simple'::regconfig, content));

-- One page of the caller's messages matching p_query, best first. SECURITY INVOKER: row level
-- security keeps it to the caller's conversations. p_conversation_id narrows it to one of them
-- (PT404 conversation_not_found otherwise, as for history). The page after a result is the one
-- after (p_after_rank, p_after_at, p_after_id): its rank, sort_at and id.
create function public.search_messages(
  p_query text,
  p_conversation_id uuid default null,
  p_limit integer default 20,
  p_after_rank real default null,
  p_after_at bigint default null,
  p_after_id uuid default null
)
returns table (message jsonb, rank real, highlight text, sort_at bigint)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_query tsquery;
  v_limit integer := greatest(1, least(100, coalesce(p_limit, 20)));
  v_markers text := chr(57344) || chr(57345);
begin
  -- The query's words as prefixes joined by AND (null: no words). Each lexeme is quoted for the
  -- tsquery input syntax (quotes and backslashes doubled), so no input can inject an operator.
  select string_agg('''' || replace(replace(l.lexeme, '\', '\\'), '''', '''''') || ''':*', ' & ')::tsquery into v_query
  from unnest(tsvector_to_array(to_tsvector('simple'::regconfig, coalesce(p_query, '')))) as l (lexeme);

  if p_conversation_id is not null and not exists (select 1 from public.conversations c where c.id = p_conversation_id) then
    raise exception using errcode = 'PT404', message = 'There is no such conversation.', hint = 'conversation_not_found';
  end if;
  if v_query is null then
    return;
  end if;

  return query
    with hits as (
      select m.id,
             ts_rank(to_tsvector('simple'::regconfig, m.content), v_query) as rank,
             -- Microseconds: the cursor keeps created_at exactly (a JavaScript Date would not).
             (extract(epoch from m.created_at) * 1000000)::bigint as sort_at
      from public.messages m
      where to_tsvector('simple'::regconfig, m.content) @@ v_query
        -- Text messages only, never a deleted one (its content is '' too, so it could not match).
        and m.kind = 'text'
        and m.deleted_at is null
        and (p_conversation_id is null or m.conversation_id = p_conversation_id)
    ),
    page as (
      select h.* from hits h
      where p_after_id is null or (h.rank, h.sort_at, h.id) < (p_after_rank, p_after_at, p_after_id)
      order by h.rank desc, h.sort_at desc, h.id desc
      limit v_limit
    )
    -- The message as every API carries it (reactions, reply, edited…: message_json, 000400).
    select public.message_json(m.id),
           p.rank,
           ts_headline(
             'simple'::regconfig, translate(m.content, v_markers, ''), v_query,
             'StartSel="' || chr(57344) || '", StopSel="' || chr(57345) || '", '
               -- IMPORTANT: only HighlightAll keeps the text verbatim (excerpts drop what the parser
               -- takes for HTML tags, and punctuation at their ends): a message that fits in a
               -- result is shown whole, a longer one as up to three excerpts.
               || case when char_length(m.content) <= 600 then 'HighlightAll=true'
                       else 'MaxFragments=3, MaxWords=30, MinWords=12, ShortWord=0, FragmentDelimiter=" … "' end
           ),
           p.sort_at
    from page p
    join public.messages m on m.id = p.id
    order by p.rank desc, p.sort_at desc, p.id desc;
end;
$$;

revoke execute on function public.search_messages from public, anon;
grant execute on function public.search_messages to authenticated;
