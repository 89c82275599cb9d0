-- Row level security and grants as Supabase applies them: every request runs as `anon` or
-- `authenticated` with the JWT's claims. Alice and Bob share a conversation; Carol is a
-- stranger to it. The functions are the only write path: direct writes are refused to
-- members and strangers alike. (Read state: read-state.test.sql; profiles: directory.test.sql.)
begin;
select plan(35);

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

-- Carol sees nothing of it and cannot write into it, nor anywhere else.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000ca201", "role": "authenticated"}';
select is_empty($$ select * from public.messages $$, 'a stranger reads no message');
select is_empty(
  $$ select * from public.messages where id = current_setting('test.message_id')::uuid $$,
  'a stranger reads no message even by its id'
);
select is_empty($$ select * from public.conversations $$, 'a stranger sees no conversation');
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id)
     values ('00000000-0000-4000-8000-0000000a11ce', '00000000-0000-4000-8000-00000000b0b0', 'forged', gen_random_uuid()) $$,
  '42501', null, 'nobody sends as someone else'
);
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id)
     values ('00000000-0000-4000-8000-00000000b0b0', '00000000-0000-4000-8000-0000000ca201', 'forged to self', gen_random_uuid()) $$,
  '42501', null, 'nobody forges a message to themselves'
);
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id)
     values ('00000000-0000-4000-8000-0000000ca201', '00000000-0000-4000-8000-0000000a11ce', 'skipping the rules', gen_random_uuid()) $$,
  '42501', null, 'nobody inserts a message directly, even as themselves'
);
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id, seq)
     values ('00000000-0000-4000-8000-0000000ca201', '00000000-0000-4000-8000-0000000a11ce', 'x', gen_random_uuid(), 1) $$,
  '42501', null, 'nobody chooses a position'
);
select throws_ok(
  $$ update public.messages set content = 'tampered' where id = current_setting('test.message_id')::uuid $$,
  '42501', null, 'a stranger cannot edit a message'
);
select throws_ok($$ delete from public.conversations $$, '42501', null, 'a stranger cannot delete conversations');

-- Nobody rewrites history, not even its participants.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000a11ce", "role": "authenticated"}';
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id)
     values ('00000000-0000-4000-8000-0000000a11ce', '00000000-0000-4000-8000-00000000b0b0', 'skipping the rules', gen_random_uuid()) $$,
  '42501', null, 'a member inserts no message directly either'
);
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
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b0b0", "role": "authenticated"}';
select throws_ok(
  $$ delete from public.messages where id = current_setting('test.message_id')::uuid $$,
  '42501', null, 'a recipient cannot delete a message'
);
select throws_ok($$ delete from public.conversations $$, '42501', null, 'a participant cannot delete the conversation');

-- The helpers the functions use are not callable: they would skip the checks around them.
select throws_ok($$ select public.chat_trim('x') $$, '42501', null, 'a user cannot call chat_trim');
select throws_ok($$ select public.checked_message_content('x') $$, '42501', null, 'a user cannot call checked_message_content');
select throws_ok(
  $$ select public.enforce_send_limit('00000000-0000-4000-8000-00000000b0b0') $$,
  '42501', null, 'a user cannot call enforce_send_limit'
);

-- As the owner: all of that changed nothing.
reset role;
select results_eq(
  $$ select content from public.messages order by seq $$,
  $$ values ('private to bob'::text), ('private to alice') $$,
  'the conversation is as it was sent'
);
select results_eq($$ select count(*) from public.conversations $$, $$ values (1::bigint) $$, 'the conversation is still there');

-- The authenticated role without a subject (no signed-in user): the writing functions refuse.
set local role authenticated;
set local request.jwt.claims = '{"role": "authenticated"}';
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b0b0', 'hi', gen_random_uuid()) $$,
  'PT401', 'Sign in first.', 'send_message without a user is PT401'
);
select throws_ok(
  $$ select public.mark_read('00000000-0000-4000-8000-00000000b0b0', 1) $$,
  'PT401', 'Sign in first.', 'mark_read without a user is PT401'
);
select throws_ok($$ select public.update_profile('Nobody') $$, 'PT401', 'Sign in first.', 'update_profile without a user is PT401');

-- anon reads nothing and calls nothing.
reset role;
set local role anon;
set local request.jwt.claims = '{"role": "anon"}';
select throws_ok($$ select * from public.messages $$, '42501', null, 'anon cannot read messages');
select throws_ok($$ select * from public.profiles $$, '42501', null, 'anon cannot read profiles');
select throws_ok($$ select * from public.conversations $$, '42501', null, 'anon cannot read conversations');
select throws_ok($$ select * from public.conversation_reads $$, '42501', null, 'anon cannot read conversation_reads');
select throws_ok($$ select * from public.app_settings $$, '42501', null, 'anon cannot read app_settings');
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b0b0', 'hi', gen_random_uuid()) $$,
  '42501', null, 'anon cannot send'
);
select throws_ok($$ select public.search_profiles('alice@rls.example') $$, '42501', null, 'anon cannot search the directory');
select throws_ok(
  $$ select public.get_profile('00000000-0000-4000-8000-0000000a11ce') $$,
  '42501', null, 'anon cannot look up a profile'
);

select * from finish();
rollback;
