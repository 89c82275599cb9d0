-- Sending and reading as signed-in users, the way PostgREST calls the functions: role
-- `authenticated`, the JWT's claims in request.jwt.claims (as Supabase sets them).
begin;
select plan(14);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000a11c', 'alice@msg.example'),
  ('00000000-0000-4000-8000-00000000b0b0', 'bob@msg.example'),
  ('00000000-0000-4000-8000-00000000ca01', 'carol@msg.example');

-- Alice sends twice to Bob, then retries her first message (same client id).
set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000a11c", "role": "authenticated"}';

select is(
  (select (seq, created) from public.send_message('00000000-0000-4000-8000-00000000b0b0', 'first', '00000000-0000-4000-8000-0000000000c1')),
  row(1::bigint, true),
  'the first message of a conversation gets seq 1'
);
select is(
  (select (seq, created) from public.send_message('00000000-0000-4000-8000-00000000b0b0', 'second', '00000000-0000-4000-8000-0000000000c2')),
  row(2::bigint, true),
  'the next one gets seq 2'
);
select is(
  (select (seq, created, content) from public.send_message('00000000-0000-4000-8000-00000000b0b0', 'first', '00000000-0000-4000-8000-0000000000c1')),
  row(1::bigint, false, 'first'::text),
  'a retry with the same client id answers the stored message and stores nothing'
);
select is((select count(*) from public.messages), 2::bigint, 'the retry burned no row');
select results_eq(
  $$ select content from public.get_sent_message('00000000-0000-4000-8000-0000000000c1') $$,
  $$ values ('first'::text) $$,
  'get_sent_message finds the sender''s own message by its client id'
);

-- Bob answers: same conversation, next position, no gap left by the retry.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b0b0", "role": "authenticated"}';
select is(
  (select seq from public.send_message('00000000-0000-4000-8000-00000000a11c', 'hi alice', '00000000-0000-4000-8000-0000000000c3')),
  3::bigint,
  'a reply continues the same sequence without a gap'
);
select results_eq(
  $$ select content from public.get_messages('00000000-0000-4000-8000-00000000a11c', 50) $$,
  $$ values ('first'::text), ('second'), ('hi alice') $$,
  'history is the whole conversation, oldest first'
);
select results_eq(
  $$ select content from public.get_messages('00000000-0000-4000-8000-00000000a11c', 50,
       p_after => (select id from public.messages where seq = 1)) $$,
  $$ values ('second'::text), ('hi alice') $$,
  'catch-up after a message returns what came after it'
);
select results_eq(
  $$ select content from public.get_messages('00000000-0000-4000-8000-00000000a11c', 2) $$,
  $$ values ('second'::text), ('hi alice') $$,
  'without a cursor, the newest page'
);

-- Carol is a stranger to that conversation. Bob notes the first message's id in a setting
-- first: Carol cannot read it, and psql variables would not run on every engine.
do $$ begin perform set_config('test.first_message_id', (select id::text from public.messages where seq = 1), true); end $$;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000ca01", "role": "authenticated"}';
select is_empty($$ select * from public.messages $$, 'a stranger reads none of the messages');
select is_empty($$ select * from public.conversations $$, 'a stranger sees no conversation');
select throws_ok(
  $$ select * from public.get_messages('00000000-0000-4000-8000-00000000a11c', 50,
       p_before => current_setting('test.first_message_id')::uuid) $$,
  '22023', null, 'a cursor from a conversation the caller is not in is refused'
);
select is_empty(
  $$ select * from public.list_conversations(100) $$,
  'a stranger lists no conversation'
);
select is_empty(
  $$ select * from public.get_sent_message('00000000-0000-4000-8000-0000000000c1') $$,
  'client ids are per sender: another user''s finds nothing'
);

select * from finish();
rollback;
