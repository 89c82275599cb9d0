-- The push outbox: the change a push announces writes its row in the same transaction; users
-- neither read nor write the table; a user's dispatch claims only the rows of their own changes;
-- the sweep (owner's connection, service role) leases, backs off and expires rows. Ada and Bob
-- talk, Cat is a stranger. Inside one transaction now() stands still: leases, backoffs and ages
-- are read and set against it. IMPORTANT: FOR UPDATE SKIP LOCKED between concurrent dispatchers
-- needs several sessions; web/test/push-outbox.test.ts proves it with real connections.
begin;
select plan(102);

-- Supabase lets the service role use the extensions schema (pgTAP's home); the test set-up
-- grants it to anon and authenticated only. Rolled back with the rest.
grant usage on schema extensions to service_role;

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000d0ada', 'ada@outbox.example'),
  ('00000000-0000-4000-8000-0000000d0b0b', 'bob@outbox.example'),
  ('00000000-0000-4000-8000-0000000d0ca7', 'cat@outbox.example');

-- ---------------------------------------------------------------------------------------------
-- Writes: one row per change, in the change's own transaction.

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
do $$ begin
  perform set_config('test.msg1', (select id::text from public.send_message(
    '00000000-0000-4000-8000-0000000d0b0b', 'hello bob', '00000000-0000-4000-8000-00000000c1d1')), true);
end $$;
reset role;

select results_eq(
  $$ select push_id, type, user_id from public.push_outbox $$,
  $$ values ('msg_' || current_setting('test.msg1'), 'message.created'::text, '00000000-0000-4000-8000-0000000d0ada'::uuid) $$,
  'a stored message writes exactly one row, its push id msg_<id>, as its sender''s change'
);
select is(
  (select payload - 'createdAt' from public.push_outbox),
  (select jsonb_build_object(
     'id', m.id, 'conversationId', m.conversation_id, 'seq', 1,
     'senderId', '00000000-0000-4000-8000-0000000d0ada', 'recipientId', '00000000-0000-4000-8000-0000000d0b0b',
     'content', 'hello bob', 'clientId', '00000000-0000-4000-8000-00000000c1d1', 'kind', 'text', 'system', null,
     'pos', 1, 'attachments', '[]'::jsonb, 'replyTo', null, 'editedAt', null, 'deletedAt', null, 'reactions', '[]'::jsonb)
   from public.messages m where m.id = current_setting('test.msg1')::uuid),
  'its payload is the message in the camelCase shape the socket server validates'
);
select matches(
  (select payload ->> 'createdAt' from public.push_outbox),
  '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$',
  'createdAt is an ISO time in UTC with milliseconds, as JavaScript prints it'
);
select is(
  (select (payload ->> 'createdAt')::timestamptz from public.push_outbox),
  (select date_trunc('milliseconds', created_at) from public.messages where id = current_setting('test.msg1')::uuid),
  'createdAt is the stored time of the message'
);

set local role authenticated;
do $$ begin
  perform public.send_message('00000000-0000-4000-8000-0000000d0b0b', 'hello bob', '00000000-0000-4000-8000-00000000c1d1');
end $$;
reset role;
select is((select count(*) from public.push_outbox), 1::bigint, 'a retry of a stored message writes no second row');

-- The row is written inside the send's transaction and goes with it. (As the owner, to look
-- inside; the claims still say Ada.)
select throws_ok(
  $$ do $d$ begin
       perform public.send_message('00000000-0000-4000-8000-0000000d0b0b', 'never committed', '00000000-0000-4000-8000-00000000c1d2');
       if not exists (select 1 from public.push_outbox where payload ->> 'clientId' = '00000000-0000-4000-8000-00000000c1d2') then
         raise exception 'no outbox row inside the transaction';
       end if;
       raise exception 'crash before commit';
     end $d$ $$,
  'P0001', 'crash before commit',
  'inside a send''s transaction its outbox row is there'
);
select is_empty(
  $$ select 1 from public.push_outbox where payload ->> 'clientId' = '00000000-0000-4000-8000-00000000c1d2' $$,
  'a send that rolls back leaves no outbox row'
);
select is_empty(
  $$ select 1 from public.messages where client_id = '00000000-0000-4000-8000-00000000c1d2' $$,
  'and no message'
);

-- Read positions: a row when the position moves, none when it does not.
set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0b0b", "role": "authenticated"}';
do $$ begin
  perform set_config('test.conversation', (select conversation_id::text from public.mark_read('00000000-0000-4000-8000-0000000d0ada', 1)), true);
end $$;
reset role;
select results_eq(
  $$ select push_id, user_id, payload from public.push_outbox where type = 'read.updated' $$,
  $$ values (
       'read_' || current_setting('test.conversation') || '_00000000-0000-4000-8000-0000000d0b0b_1',
       '00000000-0000-4000-8000-0000000d0b0b'::uuid,
       jsonb_build_object(
         'conversationId', current_setting('test.conversation'), 'userId', '00000000-0000-4000-8000-0000000d0b0b',
         'peerId', '00000000-0000-4000-8000-0000000d0ada', 'lastReadSeq', 1)
     ) $$,
  'a read position that moves writes one read.updated row, as the reader''s change, naming the peer to tell'
);

-- Delivered (the dispatcher deletes it): an unchanged position must not write it again.
delete from public.push_outbox where type = 'read.updated';
set local role authenticated;
do $$ begin
  perform public.mark_read('00000000-0000-4000-8000-0000000d0ada', 1);
  perform public.mark_read('00000000-0000-4000-8000-0000000d0ada', 0);
  perform public.mark_read('00000000-0000-4000-8000-0000000d0ada', null);
end $$;
reset role;
select is(
  (select count(*) from public.push_outbox where type = 'read.updated'), 0::bigint,
  'a position that does not move (the same, a smaller one, none) writes no row, even once the last one was delivered'
);

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
do $$ begin
  perform set_config('test.msg2', (select id::text from public.send_message(
    '00000000-0000-4000-8000-0000000d0b0b', 'are you there?', '00000000-0000-4000-8000-00000000c1d3')), true);
end $$;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0b0b", "role": "authenticated"}';
do $$ begin perform public.mark_read('00000000-0000-4000-8000-0000000d0ada', 2); end $$;
reset role;
select results_eq(
  $$ select push_id from public.push_outbox order by id $$,
  $$ values
       ('msg_' || current_setting('test.msg1')),
       ('msg_' || current_setting('test.msg2')),
       ('read_' || current_setting('test.conversation') || '_00000000-0000-4000-8000-0000000d0b0b_2') $$,
  'a position that moves again writes one more row; each message and move one row, in commit order'
);

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ca7", "role": "authenticated"}';
do $$ begin perform public.mark_read('00000000-0000-4000-8000-0000000d0ada', 5); end $$;
reset role;
select is((select count(*) from public.push_outbox), 3::bigint, 'marking read where there is no conversation writes nothing');

-- ---------------------------------------------------------------------------------------------
-- Nobody but the owner's functions touches the table; the sweep is not the users'.

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
select throws_ok($$ select * from public.push_outbox $$, '42501', null, 'a user cannot read the outbox, not even their own rows');
select throws_ok(
  $$ insert into public.push_outbox (push_id, type, user_id, payload)
     values ('msg_forged', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}') $$,
  '42501', null, 'a user cannot write a push'
);
select throws_ok($$ update public.push_outbox set attempts = 0 $$, '42501', null, 'a user cannot change a push');
select throws_ok($$ delete from public.push_outbox $$, '42501', null, 'a user cannot delete a push');
select throws_ok($$ select * from public.claim_pushes(100, 30, 86400) $$, '42501', null, 'a user cannot call claim_pushes');
select throws_ok($$ select public.complete_pushes(array[1]::bigint[]) $$, '42501', null, 'a user cannot call complete_pushes');
select throws_ok($$ select public.release_pushes(array[1]::bigint[], 'x') $$, '42501', null, 'a user cannot call release_pushes');
select throws_ok(
  $$ select * from public.claim_pushes_internal(100, 30, 86400, '00000000-0000-4000-8000-0000000d0b0b') $$,
  '42501', null, 'a user cannot call claim_pushes_internal'
);
select throws_ok(
  $$ select public.complete_pushes_internal(array[1]::bigint[], '00000000-0000-4000-8000-0000000d0b0b') $$,
  '42501', null, 'a user cannot call complete_pushes_internal'
);
select throws_ok(
  $$ select public.release_pushes_internal(array[1]::bigint[], 'x', '00000000-0000-4000-8000-0000000d0b0b') $$,
  '42501', null, 'a user cannot call release_pushes_internal'
);
select throws_ok(
  $$ select public.enqueue_session_revoked_for('00000000-0000-4000-8000-0000000d0b0b', null) $$,
  '42501', null, 'a user cannot sign someone out through enqueue_session_revoked_for'
);

-- The authenticated role without a user: the per-user functions refuse.
set local request.jwt.claims = '{"role": "authenticated"}';
select throws_ok($$ select * from public.claim_my_pushes(100, 30, 86400) $$, '42501', 'not signed in', 'claim_my_pushes without a user is 42501');
select throws_ok($$ select public.complete_my_pushes(array[1]::bigint[]) $$, '42501', 'not signed in', 'complete_my_pushes without a user is 42501');
select throws_ok($$ select public.release_my_pushes(array[1]::bigint[], 'x') $$, '42501', 'not signed in', 'release_my_pushes without a user is 42501');
select throws_ok($$ select public.enqueue_session_revoked() $$, '42501', 'not signed in', 'enqueue_session_revoked without a user is 42501');

reset role;
set local role anon;
set local request.jwt.claims = '{"role": "anon"}';
select throws_ok($$ select * from public.push_outbox $$, '42501', null, 'anon cannot read the outbox');
select throws_ok(
  $$ insert into public.push_outbox (push_id, type, payload) values ('msg_forged', 'message.created', '{}') $$,
  '42501', null, 'anon cannot write a push'
);
select throws_ok($$ update public.push_outbox set attempts = 0 $$, '42501', null, 'anon cannot change a push');
select throws_ok($$ delete from public.push_outbox $$, '42501', null, 'anon cannot delete a push');
select throws_ok($$ select * from public.claim_pushes(100, 30, 86400) $$, '42501', null, 'anon cannot call claim_pushes');
select throws_ok($$ select public.complete_pushes(array[1]::bigint[]) $$, '42501', null, 'anon cannot call complete_pushes');
select throws_ok($$ select public.release_pushes(array[1]::bigint[], 'x') $$, '42501', null, 'anon cannot call release_pushes');
select throws_ok($$ select * from public.claim_pushes_internal(100, 30, 86400, null) $$, '42501', null, 'anon cannot call claim_pushes_internal');
select throws_ok($$ select public.complete_pushes_internal(array[1]::bigint[], null) $$, '42501', null, 'anon cannot call complete_pushes_internal');
select throws_ok($$ select public.release_pushes_internal(array[1]::bigint[], 'x', null) $$, '42501', null, 'anon cannot call release_pushes_internal');
select throws_ok(
  $$ select public.enqueue_session_revoked_for('00000000-0000-4000-8000-0000000d0b0b', null) $$,
  '42501', null, 'anon cannot call enqueue_session_revoked_for'
);
select throws_ok($$ select * from public.claim_my_pushes(100, 30, 86400) $$, '42501', null, 'anon cannot call claim_my_pushes');
select throws_ok($$ select public.complete_my_pushes(array[1]::bigint[]) $$, '42501', null, 'anon cannot call complete_my_pushes');
select throws_ok($$ select public.release_my_pushes(array[1]::bigint[], 'x') $$, '42501', null, 'anon cannot call release_my_pushes');
select throws_ok($$ select public.enqueue_session_revoked() $$, '42501', null, 'anon cannot call enqueue_session_revoked');
reset role;

select is((select count(*) from public.push_outbox where attempts = 0 and locked_until is null), 3::bigint, 'all of that changed no row');

-- ---------------------------------------------------------------------------------------------
-- A user's own dispatch: the rows of their own changes only.

-- Bob answers: Ada's rows are her two messages; Bob's are his read move and his message.
set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0b0b", "role": "authenticated"}';
do $$ begin
  perform set_config('test.msg3', (select id::text from public.send_message(
    '00000000-0000-4000-8000-0000000d0ada', 'here', '00000000-0000-4000-8000-00000000c1d4')), true);
end $$;
reset role;
do $$ begin
  perform set_config('test.ada_ids', (select array_agg(id order by id)::text from public.push_outbox where user_id = '00000000-0000-4000-8000-0000000d0ada'), true);
  perform set_config('test.bob_ids', (select array_agg(id order by id)::text from public.push_outbox where user_id = '00000000-0000-4000-8000-0000000d0b0b'), true);
end $$;

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
select results_eq(
  $$ select push_id, attempts, expired from public.claim_my_pushes(100, 30, 86400) $$,
  $$ values ('msg_' || current_setting('test.msg1'), 1, false), ('msg_' || current_setting('test.msg2'), 1, false) $$,
  'a user''s claim hands her the rows of her own changes, oldest first, and none of her peer''s'
);
select is_empty($$ select * from public.claim_my_pushes(100, 30, 86400) $$, 'during her lease, her second claim gets none');
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ca7", "role": "authenticated"}';
select is_empty($$ select * from public.claim_my_pushes(100, 30, 86400) $$, 'a stranger''s claim gets none of theirs');

-- Ada completes and releases every id she can name, Bob's included.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
select lives_ok(
  $$ select public.release_my_pushes(current_setting('test.bob_ids')::bigint[], 'forged failure') $$,
  'a user may call release_my_pushes with a peer''s ids'
);
select lives_ok(
  $$ select public.complete_my_pushes(current_setting('test.ada_ids')::bigint[] || current_setting('test.bob_ids')::bigint[]) $$,
  'and complete_my_pushes with her ids and her peer''s'
);
reset role;
select is_empty(
  $$ select 1 from public.push_outbox where user_id = '00000000-0000-4000-8000-0000000d0ada' $$,
  'complete_my_pushes deleted her own rows'
);
select results_eq(
  $$ select attempts, locked_until, last_error, next_attempt_at = now() from public.push_outbox order by id $$,
  $$ values (0, null::timestamptz, null::text, true), (0, null, null, true) $$,
  'and neither call touched her peer''s rows'
);

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0b0b", "role": "authenticated"}';
select is(
  (select array_agg(id order by id) from public.claim_my_pushes(100, 30, 86400)),
  current_setting('test.bob_ids')::bigint[],
  'her peer claims his own rows'
);
select lives_ok($$ select public.release_my_pushes(current_setting('test.bob_ids')::bigint[], 'HTTP 503') $$, 'and releases them');
reset role;
select results_eq(
  $$ select attempts, locked_until, last_error, next_attempt_at - now() from public.push_outbox order by id $$,
  $$ values (1, null::timestamptz, 'HTTP 503'::text, interval '0.5 s'), (1, null, 'HTTP 503', interval '0.5 s') $$,
  'release_my_pushes frees his rows with the error, due again after the first backoff'
);
set local role authenticated;
select lives_ok($$ select public.complete_my_pushes(current_setting('test.bob_ids')::bigint[]) $$, 'he completes them');
reset role;
select is_empty($$ select 1 from public.push_outbox $$, 'and they are gone');

-- ---------------------------------------------------------------------------------------------
-- Sign-outs: the caller's own session, from the JWT.

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated", "session_id": "5e55e55e-0000-4000-8000-0000000d0ada"}';
select lives_ok($$ select public.enqueue_session_revoked() $$, 'a user records her sign-out');
select lives_ok($$ select public.enqueue_session_revoked() $$, 'twice');
reset role;
select results_eq(
  $$ select push_id, type, user_id, payload from public.push_outbox $$,
  $$ values (
       'revoke_00000000-0000-4000-8000-0000000d0ada_5e55e55e-0000-4000-8000-0000000d0ada', 'session.revoked'::text,
       '00000000-0000-4000-8000-0000000d0ada'::uuid,
       '{"userId": "00000000-0000-4000-8000-0000000d0ada", "sessionId": "5e55e55e-0000-4000-8000-0000000d0ada"}'::jsonb
     ) $$,
  'one session.revoked row for her own session (the JWT''s session_id), however often she calls it'
);

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
do $$ begin perform public.enqueue_session_revoked(); end $$;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated", "session_id": "not-a-session"}';
do $$ begin perform public.enqueue_session_revoked(); end $$;
reset role;
select results_eq(
  $$ select user_id, payload from public.push_outbox where push_id like 'revoke\_%\_all\_%' order by id $$,
  $$ values
       ('00000000-0000-4000-8000-0000000d0ada'::uuid, '{"userId": "00000000-0000-4000-8000-0000000d0ada", "sessionId": null}'::jsonb),
       ('00000000-0000-4000-8000-0000000d0ada'::uuid, '{"userId": "00000000-0000-4000-8000-0000000d0ada", "sessionId": null}'::jsonb) $$,
  'without a session id that is a UUID, it records the end of every session of hers, and only hers'
);
select is_empty(
  $$ select 1 from public.push_outbox where user_id <> '00000000-0000-4000-8000-0000000d0ada' $$,
  'a user''s sign-out records nobody else''s'
);

-- The embedded issuer, as the owner, records any user's sign-out in its own transaction.
select lives_ok(
  $$ select public.enqueue_session_revoked_for('00000000-0000-4000-8000-0000000d0b0b', '5e55e55e-0000-4000-8000-0000000d0b0b') $$,
  'the owner records bob''s sign-out'
);
select is(
  (select payload from public.push_outbox where user_id = '00000000-0000-4000-8000-0000000d0b0b'),
  '{"userId": "00000000-0000-4000-8000-0000000d0b0b", "sessionId": "5e55e55e-0000-4000-8000-0000000d0b0b"}'::jsonb,
  'as one session.revoked row for that session'
);

-- ---------------------------------------------------------------------------------------------
-- The sweep, as the service role: every user's rows, leased, backed off, expired.

delete from public.push_outbox;
insert into public.push_outbox (push_id, type, user_id, payload) values
  ('sweep_1', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}'),
  ('sweep_2', 'read.updated', '00000000-0000-4000-8000-0000000d0b0b', '{}'),
  ('sweep_3', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}');

set local role service_role;
select results_eq(
  $$ select push_id, attempts, expired from public.claim_pushes(2, 30, 86400) $$,
  $$ values ('sweep_1'::text, 1, false), ('sweep_2', 1, false) $$,
  'the sweep claims every user''s rows, oldest first, up to its limit'
);
select results_eq(
  $$ select push_id from public.claim_pushes(100, 30, 86400) $$,
  $$ values ('sweep_3'::text) $$,
  'a second claim skips the leased rows'
);
select is_empty($$ select * from public.claim_pushes(100, 30, 86400) $$, 'and a claim during the lease gets none');
reset role;
select results_eq(
  $$ select locked_until - now() from public.push_outbox order by id $$,
  $$ values (interval '30 s'), (interval '30 s'), (interval '30 s') $$,
  'a claim leases its rows for the seconds asked'
);

update public.push_outbox set locked_until = now() where push_id = 'sweep_1';
set local role service_role;
select results_eq(
  $$ select push_id, attempts from public.claim_pushes(100, 30, 86400) $$,
  $$ values ('sweep_1'::text, 2) $$,
  'once a lease has run out, the row is claimed again and the attempt counted'
);
reset role;
update public.push_outbox set locked_until = null where push_id in ('sweep_2', 'sweep_3');
set local role service_role;
do $$ begin
  perform public.claim_pushes(1, 100000, 86400);
  perform public.claim_pushes(1, 0, 86400);
end $$;
reset role;
select results_eq(
  $$ select push_id, locked_until - now() from public.push_outbox where push_id in ('sweep_2', 'sweep_3') order by id $$,
  $$ values ('sweep_2'::text, interval '600 s'), ('sweep_3', interval '1 s') $$,
  'a lease lasts at most 10 minutes and at least 1 second'
);

do $$ begin perform set_config('test.sweep_1', (select id::text from public.push_outbox where push_id = 'sweep_1'), true); end $$;
set local role service_role;
select lives_ok($$ select public.complete_pushes(array[current_setting('test.sweep_1')::bigint]) $$, 'the service role completes a delivered row');
reset role;
select results_eq(
  $$ select push_id from public.push_outbox order by id $$,
  $$ values ('sweep_2'::text), ('sweep_3') $$,
  'and it is gone, the others left'
);

-- Backoff: 0.5 s after the first attempt, doubling, capped at 30 s.
delete from public.push_outbox;
insert into public.push_outbox (push_id, type, user_id, payload, attempts, locked_until) values
  ('backoff_1', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', 1, now() + interval '30 s'),
  ('backoff_2', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}', 2, now() + interval '30 s'),
  ('backoff_3', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', 3, now() + interval '30 s'),
  ('backoff_7', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', 7, now() + interval '30 s'),
  ('backoff_12', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', 12, now() + interval '30 s');
do $$ begin perform set_config('test.backoff_ids', (select array_agg(id)::text from public.push_outbox), true); end $$;
set local role service_role;
select lives_ok(
  $$ select public.release_pushes(current_setting('test.backoff_ids')::bigint[], repeat('e', 600)) $$,
  'the service role releases rows it could not deliver'
);
reset role;
select results_eq(
  $$ select push_id, next_attempt_at - now() from public.push_outbox order by id $$,
  $$ values ('backoff_1'::text, interval '0.5 s'), ('backoff_2', interval '1 s'), ('backoff_3', interval '2 s'),
            ('backoff_7', interval '30 s'), ('backoff_12', interval '30 s') $$,
  'a released row is due again after a backoff that doubles per attempt, at most 30 s'
);
select results_eq(
  $$ select locked_until, length(last_error) from public.push_outbox group by 1, 2 $$,
  $$ values (null::timestamptz, 500) $$,
  'and its lease ends, its error kept to 500 characters'
);

-- Head of line per user: a user's pushes leave in commit order, so a due row waits behind her
-- own older row's backoff; another user's backoff never holds it.
insert into public.push_outbox (push_id, type, user_id, payload) values
  ('late', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}');
set local role service_role;
select is_empty($$ select * from public.claim_pushes(100, 30, 86400) $$, 'a due row waits while its user''s oldest row backs off');
reset role;
update public.push_outbox set next_attempt_at = now() where push_id = 'backoff_1';
set local role service_role;
select results_eq(
  $$ select push_id from public.claim_pushes(100, 30, 86400) $$,
  $$ values ('backoff_1'::text), ('backoff_3'), ('backoff_7'), ('backoff_12') $$,
  'once a user''s oldest is due, her rows behind it leave with it, in order; the other user''s still wait for his own'
);
reset role;

-- One user's backoff (which release_my_pushes lets any user set on her own rows) never stalls
-- the sweep for everyone else.
delete from public.push_outbox;
insert into public.push_outbox (push_id, type, user_id, payload, next_attempt_at) values
  ('ada_backs_off', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', now() + interval '30 s'),
  ('bob_is_due', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}', now());
set local role service_role;
select results_eq(
  $$ select push_id from public.claim_pushes(100, 30, 86400) $$,
  $$ values ('bob_is_due'::text) $$,
  'the sweep is not held up by one user''s backoff'
);
reset role;

-- A user's own dispatch waits only for her own rows' backoff.
delete from public.push_outbox;
insert into public.push_outbox (push_id, type, user_id, payload, next_attempt_at) values
  ('ada_waits', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', now() + interval '30 s'),
  ('bob_due', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}', now());
set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0b0b", "role": "authenticated"}';
select results_eq(
  $$ select push_id from public.claim_my_pushes(100, 30, 86400) $$,
  $$ values ('bob_due'::text) $$,
  'a user''s claim is not held up by another user''s backoff'
);
reset role;

-- Max age: older rows are dropped by the claim and handed back marked expired.
delete from public.push_outbox;
insert into public.push_outbox (push_id, type, user_id, payload, created_at, next_attempt_at) values
  ('too_old', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', now() - interval '25 hours', now() - interval '25 hours'),
  ('fresh', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}', now(), now());
set local role service_role;
select results_eq(
  $$ select push_id, expired from public.claim_pushes(100, 30, 86400) $$,
  $$ values ('too_old'::text, true), ('fresh', false) $$,
  'a row older than the max age is handed back as expired, the rest claimed'
);
reset role;
select results_eq($$ select push_id from public.push_outbox $$, $$ values ('fresh'::text) $$, 'and the expired row is deleted');

-- A user's max age is at least an hour and reaches only her own rows.
delete from public.push_outbox;
insert into public.push_outbox (push_id, type, user_id, payload, created_at) values
  ('ada_2h', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', now() - interval '2 hours'),
  ('ada_30min', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', now() - interval '30 minutes'),
  ('bob_2h', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}', now() - interval '2 hours');
set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
select results_eq(
  $$ select push_id, expired from public.claim_my_pushes(100, 30, 1) $$,
  $$ values ('ada_2h'::text, true), ('ada_30min', false) $$,
  'a user''s claim with a 1-second max age drops only her rows older than an hour'
);
reset role;
select results_eq(
  $$ select push_id from public.push_outbox order by id $$,
  $$ values ('ada_30min'::text), ('bob_2h') $$,
  'her peer''s old row is untouched'
);

-- Batch limits: a user claims at most 500 rows, the sweep at most 1000.
delete from public.push_outbox;
insert into public.push_outbox (push_id, type, user_id, payload)
select 'many_' || i, 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}' from generate_series(1, 1001) i;
set local role authenticated;
select is((select count(*) from public.claim_my_pushes(100000, 30, 86400)), 500::bigint, 'a user claims at most 500 rows at once');
reset role;
update public.push_outbox set locked_until = null;
set local role service_role;
select is((select count(*) from public.claim_pushes(100000, 30, 86400)), 1000::bigint, 'the sweep claims at most 1000 rows at once');
reset role;

-- ---------------------------------------------------------------------------------------------
-- The request path's claim by push id: only the named rows, each only when due, and never ahead
-- of an older unleased row of its user (the general claim then sends them in order).

delete from public.push_outbox;
insert into public.push_outbox (push_id, type, user_id, payload, next_attempt_at, locked_until) values
  ('named_ada_1', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', now(), null),
  ('named_bob_1', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}', now(), now() + interval '30 s'),
  ('named_bob_2', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}', now(), null),
  ('named_bob_3', 'message.created', '00000000-0000-4000-8000-0000000d0b0b', '{}', now() + interval '5 s', null),
  ('named_ada_2', 'message.created', '00000000-0000-4000-8000-0000000d0ada', '{}', now(), null);
set local role service_role;
select results_eq(
  $$ select push_id, attempts, expired from public.claim_pushes_by_id(array['named_bob_2', 'named_ada_1', 'named_bob_3', 'nothing'], 30) $$,
  $$ values ('named_ada_1'::text, 1, false), ('named_bob_2', 1, false) $$,
  'a claim by id hands back the named rows that are due, oldest first (an older row in flight does not hold one back)'
);
select is_empty(
  $$ select * from public.claim_pushes_by_id(array['named_bob_1', 'named_bob_2', 'named_bob_3'], 30) $$,
  'a leased row, a row in backoff and a row just claimed are left'
);
reset role;
select results_eq(
  $$ select push_id, locked_until - now() from public.push_outbox where attempts > 0 order by id $$,
  $$ values ('named_ada_1'::text, interval '30 s'), ('named_bob_2', interval '30 s') $$,
  'the claimed rows are leased for the seconds asked'
);
update public.push_outbox set locked_until = null, attempts = 0 where push_id = 'named_ada_1';
set local role service_role;
select is_empty(
  $$ select * from public.claim_pushes_by_id(array['named_ada_2'], 30) $$,
  'a named row waits behind an older unleased row of its user'
);
reset role;

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
select results_eq(
  $$ select push_id from public.claim_my_pushes_by_id(array['named_ada_1', 'named_bob_1'], 30) $$,
  $$ values ('named_ada_1'::text) $$,
  'a user''s claim by id hands her only her own rows, whatever ids she names'
);
select throws_ok(
  $$ select * from public.claim_pushes_by_id(array['named_bob_1'], 30) $$, '42501', null, 'a user cannot call claim_pushes_by_id'
);
select throws_ok(
  $$ select * from public.claim_pushes_by_id_internal(array['named_bob_1'], 30, null) $$, '42501', null,
  'a user cannot call claim_pushes_by_id_internal'
);
set local request.jwt.claims = '{"role": "authenticated"}';
select throws_ok(
  $$ select * from public.claim_my_pushes_by_id(array['named_bob_1'], 30) $$, '42501', 'not signed in',
  'claim_my_pushes_by_id without a user is 42501'
);
reset role;
set local role anon;
select throws_ok(
  $$ select * from public.claim_my_pushes_by_id(array['named_bob_1'], 30) $$, '42501', null, 'anon cannot call claim_my_pushes_by_id'
);
select throws_ok(
  $$ select public.complete_my_pushes_by_id(array['named_bob_1']) $$, '42501', null, 'anon cannot call complete_my_pushes_by_id'
);
reset role;

-- Completed by push id (a direct message's push, sent by the request that holds it).
set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000d0ada", "role": "authenticated"}';
select lives_ok(
  $$ select public.complete_my_pushes_by_id(array['named_ada_2', 'named_bob_2']) $$,
  'a user completes rows by push id, a peer''s named too'
);
select throws_ok(
  $$ select public.complete_pushes_by_id(array['named_bob_2']) $$, '42501', null, 'a user cannot call complete_pushes_by_id'
);
reset role;
select results_eq(
  $$ select push_id from public.push_outbox order by id $$,
  $$ values ('named_ada_1'::text), ('named_bob_1'), ('named_bob_2'), ('named_bob_3') $$,
  'only her own named row is gone'
);
set local role service_role;
select lives_ok($$ select public.complete_pushes_by_id(array['named_bob_2', 'named_bob_3']) $$, 'the service role completes any by push id');
reset role;
select results_eq(
  $$ select push_id from public.push_outbox order by id $$,
  $$ values ('named_ada_1'::text), ('named_bob_1') $$,
  'and those rows are gone'
);

-- Deleting delivered rows commits without waiting for the WAL flush (a lost delete only sends a
-- push again, which the receiver drops by id), on both completion paths; a savepoint's rollback
-- undoes the setting like any other change of the transaction.
set local synchronous_commit = on;
savepoint by_row_id;
select lives_ok($$ select public.complete_pushes(array[]::bigint[]) $$, 'completing nothing by row id');
select is(current_setting('synchronous_commit'), 'off', 'completing by row id commits asynchronously (synchronous_commit off for its transaction)');
rollback to savepoint by_row_id;
select lives_ok($$ select public.complete_pushes_by_id(array[]::text[]) $$, 'completing nothing by push id');
select is(current_setting('synchronous_commit'), 'off', 'completing by push id commits asynchronously too');

select * from finish();
rollback;
