-- Message search: members find their conversations' messages, ranked and highlighted, a page
-- at a time; strangers find nothing. Ann and Ben talk; Cat is a stranger to them.
begin;
select plan(12);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000a001', 'ann@search.example'),
  ('00000000-0000-4000-8000-00000000b001', 'ben@search.example'),
  ('00000000-0000-4000-8000-00000000c001', 'cat@search.example');
-- One transaction, so every message has the same created_at (the trigger sets now()): equal
-- ranks fall back to the id, given here.
insert into public.messages (id, sender_id, recipient_id, content, client_id) values
  ('00000000-0000-4000-8000-0000000000e1', '00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000b001', 'the heron flew over', gen_random_uuid()),
  ('00000000-0000-4000-8000-0000000000e2', '00000000-0000-4000-8000-00000000b001', '00000000-0000-4000-8000-00000000a001', 'Heron, heron, HERONS everywhere', gen_random_uuid()),
  ('00000000-0000-4000-8000-0000000000e3', '00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000b001', 'a <b>heron</b> in tags', gen_random_uuid()),
  ('00000000-0000-4000-8000-0000000000e4', '00000000-0000-4000-8000-00000000a001', '00000000-0000-4000-8000-00000000b001', 'nothing to see', gen_random_uuid());

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b001", "role": "authenticated"}';
select results_eq(
  $$ select message->>'content' from public.search_messages('hero') $$,
  $$ values ('Heron, heron, HERONS everywhere'::text), ('a <b>heron</b> in tags'), ('the heron flew over') $$,
  'a member finds the matches by prefix: most occurrences first (then newest, then by id)'
);
select results_eq(
  $$ select replace(replace(highlight, chr(57344), '['), chr(57345), ']') from public.search_messages('heron', null, 1) $$,
  $$ values ('[Heron], [heron], [HERONS] everywhere'::text) $$,
  'the highlight marks every match with U+E000 and U+E001'
);
select results_eq(
  $$ select highlight from public.search_messages('tags') $$,
  $$ values ('a <b>heron</b> in ' || chr(57344) || 'tags' || chr(57345)) $$,
  'a short message is highlighted whole, its text verbatim'
);
select results_eq(
  $$ select p.message->>'content'
     from public.search_messages('heron', null, 1) first_page,
          public.search_messages('heron', null, 2, first_page.rank, first_page.sort_at, (first_page.message->>'id')::uuid) p $$,
  $$ values ('a <b>heron</b> in tags'::text), ('the heron flew over') $$,
  'the page after a result starts right after it'
);
select is_empty($$ select * from public.search_messages('!!! & | :*') $$, 'a query without words finds nothing');
select is_empty($$ select * from public.search_messages('heron zebra') $$, 'every word must match');
select results_eq(
  $$ select count(*) from public.search_messages('heron', (select id from public.conversations limit 1)) $$,
  $$ values (3::bigint) $$,
  'a member narrows the search to one of their conversations'
);

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000c001", "role": "authenticated"}';
select is_empty($$ select * from public.search_messages('heron') $$, 'a stranger finds nothing');
reset role;
do $$ begin perform set_config('test.conversation_id', (select id::text from public.conversations limit 1), true); end $$;
set local role authenticated;
select throws_ok(
  $$ select * from public.search_messages('heron', current_setting('test.conversation_id')::uuid) $$,
  'PT404', 'There is no such conversation.', 'a stranger naming the conversation gets conversation_not_found'
);

-- Ann deletes her message: nobody finds it any more.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000a001", "role": "authenticated"}';
select public.delete_message('00000000-0000-4000-8000-0000000000e1');
select results_eq(
  $$ select message->>'content' from public.search_messages('heron') $$,
  $$ values ('Heron, heron, HERONS everywhere'::text), ('a <b>heron</b> in tags') $$,
  'a deleted message is never found'
);

reset role;
select ok(not has_function_privilege('anon', 'public.search_messages(text, uuid, integer, real, bigint, uuid)', 'execute'), 'anon cannot search');
select ok(
  exists (select 1 from pg_indexes where schemaname = 'public' and tablename = 'messages' and indexname = 'messages_search_idx' and indexdef ilike '%using gin%'),
  'messages have a GIN index for full-text search'
);

select * from finish();
rollback;
