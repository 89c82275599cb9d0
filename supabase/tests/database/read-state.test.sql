-- Read state: one position per member and conversation, written only through mark_read,
-- only forward, clamped to 0..the last message; both members see both positions (that is how
-- the sender shows "Seen"), strangers see none. Ivan sent Jane 5 messages; Karl is a stranger.
begin;
select plan(22);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-000000001a00', 'ivan@reads.example'),
  ('00000000-0000-4000-8000-000000001b00', 'jane@reads.example'),
  ('00000000-0000-4000-8000-000000001c00', 'karl@reads.example');
insert into public.messages (sender_id, recipient_id, content, client_id)
select '00000000-0000-4000-8000-000000001a00', '00000000-0000-4000-8000-000000001b00', 'message ' || i, gen_random_uuid()
from generate_series(1, 5) i;

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-000000001b00", "role": "authenticated"}';
select results_eq(
  $$ select last_read_seq, peer_last_read_seq, unread_count from public.list_conversations(10) $$,
  $$ values (0::bigint, 0::bigint, 5::bigint) $$,
  'before reading, jane has 5 unread messages'
);

-- Jane reads: clamped, and never backwards.
select is(
  (select last_read_seq from public.mark_read('00000000-0000-4000-8000-000000001a00', -3)),
  0::bigint, 'a negative position is clamped to 0'
);
select is(
  (select last_read_seq from public.mark_read('00000000-0000-4000-8000-000000001a00', null)),
  0::bigint, 'no position is 0'
);
select is(
  (select last_read_seq from public.mark_read('00000000-0000-4000-8000-000000001a00', 3)),
  3::bigint, 'jane reads up to 3'
);
select results_eq(
  $$ select last_read_seq, unread_count from public.list_conversations(10) $$,
  $$ values (3::bigint, 2::bigint) $$,
  'the conversation list shows her position and 2 unread'
);
select is(
  (select last_read_seq from public.mark_read('00000000-0000-4000-8000-000000001a00', 1)),
  3::bigint, 'a stale, smaller position does not move it back'
);
select is(
  (select last_read_seq from public.mark_read('00000000-0000-4000-8000-000000001a00', 999)),
  5::bigint, 'a position past the last message is clamped to it'
);
select is(
  (select last_read_seq from public.mark_read('00000000-0000-4000-8000-000000001a00', 0)),
  5::bigint, 'and 0 afterwards changes nothing'
);
select results_eq(
  $$ select user_id, last_read_seq from public.conversation_reads $$,
  $$ values ('00000000-0000-4000-8000-000000001b00'::uuid, 5::bigint) $$,
  'one row per member and conversation'
);

-- Direct writes are refused even to members: the position would skip the clamp.
select throws_ok(
  $$ update public.conversation_reads set last_read_seq = 0 $$,
  '42501', null, 'a member cannot move her position directly'
);
select throws_ok(
  $$ insert into public.conversation_reads (conversation_id, user_id, last_read_seq)
     select id, '00000000-0000-4000-8000-000000001b00', 99 from public.conversations $$,
  '42501', null, 'a member cannot insert her position directly'
);
select throws_ok($$ delete from public.conversation_reads $$, '42501', null, 'a member cannot delete read state');

-- Ivan sees Jane's position: "Seen".
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-000000001a00", "role": "authenticated"}';
select results_eq(
  $$ select user_id, last_read_seq from public.conversation_reads $$,
  $$ values ('00000000-0000-4000-8000-000000001b00'::uuid, 5::bigint) $$,
  'the other member sees her position'
);
select results_eq(
  $$ select last_read_seq, peer_last_read_seq, unread_count from public.list_conversations(10) $$,
  $$ values (0::bigint, 5::bigint, 0::bigint) $$,
  'his list shows her position; his own messages are never unread to him'
);
select throws_ok(
  $$ update public.conversation_reads set last_read_seq = 0 $$,
  '42501', null, 'a member cannot move the other''s position'
);
do $$ begin perform set_config('test.conversation_id', (select id::text from public.conversations), true); end $$;

-- Karl, a stranger, sees and moves nothing.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-000000001c00", "role": "authenticated"}';
select is_empty($$ select * from public.conversation_reads $$, 'a stranger sees no read state');
select is_empty(
  $$ select * from public.mark_read('00000000-0000-4000-8000-000000001a00', 5) $$,
  'a stranger cannot mark a conversation they are not in'
);
select throws_ok(
  $$ insert into public.conversation_reads (conversation_id, user_id, last_read_seq)
     values (current_setting('test.conversation_id')::uuid, '00000000-0000-4000-8000-000000001a00', 99) $$,
  '42501', null, 'a stranger cannot write a member''s position'
);
select throws_ok(
  $$ insert into public.conversation_reads (conversation_id, user_id, last_read_seq)
     values (current_setting('test.conversation_id')::uuid, '00000000-0000-4000-8000-000000001c00', 99) $$,
  '42501', null, 'a stranger cannot put themselves into a conversation''s read state'
);
select throws_ok(
  $$ update public.conversation_reads set last_read_seq = 0 $$,
  '42501', null, 'a stranger cannot move a position'
);

reset role;
select results_eq(
  $$ select user_id, last_read_seq from public.conversation_reads $$,
  $$ values ('00000000-0000-4000-8000-000000001b00'::uuid, 5::bigint) $$,
  'as the owner: still one position, at 5'
);
select is(
  (select count(*) from public.conversation_reads where user_id = '00000000-0000-4000-8000-000000001c00'),
  0::bigint,
  'and none for the stranger'
);

select * from finish();
rollback;
