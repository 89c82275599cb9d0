-- Row level security as Supabase applies it: every request runs as `anon` or `authenticated`
-- with the JWT's claims. Alice and Bob share a conversation; Carol is a stranger to it.
begin;
select plan(17);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000a11ce', 'alice@rls.example'),
  ('00000000-0000-4000-8000-00000000b0b0', 'bob@rls.example'),
  ('00000000-0000-4000-8000-0000000ca201', 'carol@rls.example');

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000a11ce", "role": "authenticated"}';
select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b0b0', 'private to bob', gen_random_uuid()) $$,
  'alice writes to bob'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b0b0", "role": "authenticated"}';
select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-0000000a11ce', 'private to alice', gen_random_uuid()) $$,
  'bob answers'
);
do $$ begin perform set_config('test.message_id', (select id::text from public.messages where seq = 1), true); end $$;

-- Both participants read the conversation.
select results_eq(
  $$ select content from public.messages order by seq $$,
  $$ values ('private to bob'::text), ('private to alice') $$,
  'a participant reads both sides of the conversation'
);
select results_eq(
  $$ select count(*) from public.conversations $$, $$ values (1::bigint) $$,
  'a participant sees the conversation'
);

-- Carol sees nothing of it and cannot write into it.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000ca201", "role": "authenticated"}';
select is_empty($$ select * from public.messages $$, 'a stranger reads no message');
select is_empty($$ select * from public.conversations $$, 'a stranger sees no conversation');
select is_empty($$ select * from public.conversation_reads $$, 'a stranger sees no read state');
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id)
     values ('00000000-0000-4000-8000-0000000a11ce', '00000000-0000-4000-8000-00000000b0b0', 'forged', gen_random_uuid()) $$,
  '42501', null, 'nobody sends as someone else'
);
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id, seq)
     values ('00000000-0000-4000-8000-0000000ca201', '00000000-0000-4000-8000-0000000a11ce', 'x', gen_random_uuid(), 1) $$,
  '42501', null, 'nobody chooses a position'
);
select is_empty(
  $$ select * from public.mark_read('00000000-0000-4000-8000-0000000a11ce', 5) $$,
  'a stranger cannot mark a conversation they are not in'
);

-- Nobody rewrites history, not even its participants.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000a11ce", "role": "authenticated"}';
select throws_ok(
  $$ update public.messages set content = 'tampered' where id = current_setting('test.message_id')::uuid $$,
  '42501', null, 'a sender cannot edit a stored message'
);
select throws_ok(
  $$ delete from public.messages where id = current_setting('test.message_id')::uuid $$,
  '42501', null, 'a sender cannot delete a stored message'
);
select throws_ok(
  $$ update public.conversations set last_seq = 0 $$,
  '42501', null, 'a participant cannot move the conversation counter'
);

-- Read state: one's own position, forward only.
select is(
  (select last_read_seq from public.mark_read('00000000-0000-4000-8000-00000000b0b0', 2)),
  2::bigint,
  'a participant marks the conversation read'
);
select is(
  (select last_read_seq from public.mark_read('00000000-0000-4000-8000-00000000b0b0', 1)),
  2::bigint,
  'a read position never moves back'
);

-- anon reads nothing at all.
reset role;
set local role anon;
select throws_ok($$ select * from public.messages $$, '42501', null, 'anon cannot read messages');
select throws_ok($$ select * from public.profiles $$, '42501', null, 'anon cannot read profiles');

select * from finish();
rollback;
