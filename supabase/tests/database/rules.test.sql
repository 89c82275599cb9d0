-- The app's rules, enforced by the SQL itself for direct PostgREST callers: message content,
-- clientId conflicts, no messages to oneself, display names and the history limit. Each
-- refusal is SQLSTATE PT<http status> with the rule in its message (errors.test.sql checks the
-- DETAIL and HINT the stores translate). The same rules as web/lib/validations/chat.ts.
begin;
select plan(36);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000a001', 'ann@rules.example'),
  ('00000000-0000-4000-8000-00000000b001', 'ben@rules.example'),
  ('00000000-0000-4000-8000-00000000c001', 'cal@rules.example'),
  ('00000000-0000-4000-8000-00000000d001', 'gina@rules.example'),
  ('00000000-0000-4000-8000-00000000e001', 'hank@rules.example');

-- A conversation longer than a page, stored by the owner (no limits apply to it).
insert into public.messages (sender_id, recipient_id, content, client_id)
select '00000000-0000-4000-8000-00000000d001', '00000000-0000-4000-8000-00000000e001', 'bulk ' || i, gen_random_uuid()
from generate_series(1, 105) i;

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000a001", "role": "authenticated"}';

-- Content: nothing visible, spoofing or too long is refused; nothing is stored.
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', E'   \t\n  ', gen_random_uuid()) $$,
  'PT422', 'content must not be empty', 'content of only spaces is refused'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', E'\u200b\u200b', gen_random_uuid()) $$,
  'PT422', 'content must not be only invisible characters', 'content of only zero-width spaces is refused'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', E' \u200b\u00a0\u2060\ufeff\u3000\U000e0020 ', gen_random_uuid()) $$,
  'PT422', 'content must not be only invisible characters', 'content of whitespace and format characters (BMP and astral) is refused'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', E'evil\u202etxt.exe', gen_random_uuid()) $$,
  'PT422', 'content must not contain bidirectional override characters', 'a bidi override is refused'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', E'a\u2066b', gen_random_uuid()) $$,
  'PT422', 'content must not contain bidirectional override characters', 'a bidi isolate is refused'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', ' ' || repeat(E'\u00e9', 4001) || ' ', gen_random_uuid()) $$,
  'PT422', 'content must be at most 4000 characters', '4001 characters after trimming are refused'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', repeat(E'\U0001F600', 4001), gen_random_uuid()) $$,
  'PT422', 'content must be at most 4000 characters', '4001 astral characters are refused (characters, not UTF-16 units or bytes)'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', null, gen_random_uuid()) $$,
  'PT422', 'content must be a string', 'null content is refused'
);
select throws_ok(
  $$ select public.send_message(null, 'hi', gen_random_uuid()) $$,
  'PT422', 'recipientId must be a UUID', 'a null recipient is refused'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', 'hi', null) $$,
  'PT422', 'clientId must be a UUID', 'a null client id is refused'
);
-- PostgREST hands JSON arguments to Postgres, which refuses both escapes before any function runs.
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', ('{"c": "a\u0000b"}'::jsonb ->> 'c'), gen_random_uuid()) $$,
  '22P05', null, 'a NUL in JSON never reaches the function'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', ('{"c": "a\ud800b"}'::jsonb ->> 'c'), gen_random_uuid()) $$,
  '22P02', null, 'a lone surrogate in JSON never reaches the function'
);
select is((select count(*) from public.messages), 0::bigint, 'no refused message was stored');

-- Content is stored trimmed, the way JavaScript trims; 4000 characters fit.
select is(
  (select content from public.send_message('00000000-0000-4000-8000-00000000b001', E'\u3000\t hi \ufeff\n', gen_random_uuid())),
  'hi',
  'padded content is stored trimmed'
);
select is(
  (select char_length(content) from public.send_message('00000000-0000-4000-8000-00000000b001', repeat(E'\U0001F600', 4000), gen_random_uuid())),
  4000,
  '4000 astral characters fit'
);
select is(
  (select content from public.send_message('00000000-0000-4000-8000-00000000b001', E'\u200bvisible\u200b', gen_random_uuid())),
  E'\u200bvisible\u200b',
  'invisible characters around visible text are kept'
);

-- A client id names one message: the same one again is a repeat, anything else a conflict.
select is(
  (select created from public.send_message('00000000-0000-4000-8000-00000000b001', 'hello ben', '00000000-0000-4000-8000-0000000c1d01')),
  true,
  'ann sends with a client id'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000c001', 'hello ben', '00000000-0000-4000-8000-0000000c1d01') $$,
  'PT409', 'This clientId was already used for another message.', 'the same client id to another recipient is PT409'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b001', 'hello ben!', '00000000-0000-4000-8000-0000000c1d01') $$,
  'PT409', 'This clientId was already used for another message.', 'the same client id with other content is PT409'
);
select is(
  (select (created, seq) from public.send_message('00000000-0000-4000-8000-00000000b001', E'  hello ben \n', '00000000-0000-4000-8000-0000000c1d01')),
  (false, 4::bigint),
  'the same message again (equal once trimmed) is a repeat of the stored one'
);
select is(
  (select count(*) from public.messages where client_id = '00000000-0000-4000-8000-0000000c1d01'),
  1::bigint,
  'one message for that client id'
);

select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000a001', 'me', gen_random_uuid()) $$,
  'PT400', 'You cannot send a message to yourself.', 'a message to oneself is PT400'
);

-- Display names: no control, newline or bidi characters, at most 80 characters once trimmed.
select throws_ok(
  $$ select public.update_profile(E'Ann\u0007') $$,
  'PT422', 'displayName has characters that are not allowed', 'a control character in a display name is refused'
);
select throws_ok(
  $$ select public.update_profile(E'Ann\nExample') $$,
  'PT422', 'displayName has characters that are not allowed', 'a newline in a display name is refused'
);
select throws_ok(
  $$ select public.update_profile(E'evil\u202eexe') $$,
  'PT422', 'displayName has characters that are not allowed', 'a bidi override in a display name is refused'
);
select throws_ok(
  $$ select public.update_profile(repeat('x', 81)) $$,
  'PT422', 'displayName must be at most 80 characters', 'a display name of 81 characters is refused'
);
select is(
  (select display_name from public.update_profile(E' \u3000Ann A.\u00a0 ')),
  'Ann A.',
  'a padded display name is stored trimmed'
);
select is(
  (select display_name from public.update_profile(repeat(E'\U0001F600', 80))),
  repeat(E'\U0001F600', 80),
  '80 astral characters fit'
);
select is((select display_name from public.update_profile('   ')), null, 'a blank display name clears it');
select is((select display_name from public.update_profile(null)), null, 'null clears it');

-- History: the limit is clamped to 1..100, 50 when absent.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000e001", "role": "authenticated"}';
select is((select count(*) from public.get_messages('00000000-0000-4000-8000-00000000d001', 1000)), 100::bigint, 'a page has at most 100 messages');
select is((select count(*) from public.get_messages('00000000-0000-4000-8000-00000000d001', 0)), 1::bigint, 'a limit of 0 gives 1');
select is((select count(*) from public.get_messages('00000000-0000-4000-8000-00000000d001', -5)), 1::bigint, 'a negative limit gives 1');
select is((select count(*) from public.get_messages('00000000-0000-4000-8000-00000000d001', null)), 50::bigint, 'no limit gives 50');
select results_eq(
  $$ select content from public.get_messages('00000000-0000-4000-8000-00000000d001', 2) $$,
  $$ values ('bulk 104'::text), ('bulk 105') $$,
  'a page is the newest messages, oldest first'
);
select is((select count(*) from public.list_conversations(0)), 1::bigint, 'the conversation list clamps its limit to at least 1');

select * from finish();
rollback;
