-- The per-user send limit (sliding window of stored messages): 60 per 10 s by default, from the
-- 'send_limit' row of app_settings (Supabase mode), or from `chat.send_limit`, which the app's
-- SQL store sets per transaction from RATE_LIMIT_SEND. Users can read or change neither.
-- Inside one transaction now() stands still, so every message here is inside the window.
begin;
select plan(17);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000da4e', 'dave@limit.example'),
  ('00000000-0000-4000-8000-00000000e414', 'erin@limit.example'),
  ('00000000-0000-4000-8000-00000000f4a4', 'frank@limit.example'),
  ('00000000-0000-4000-8000-000000009a50', 'gus@limit.example');

select is((select value from public.app_settings where name = 'send_limit'), '60/10', 'the default limit is 60 messages per 10 s');

set local role authenticated;

-- Dave sends 60 messages to Erin; the 61st is refused. Retries of stored messages still answer.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000da4e", "role": "authenticated"}';
select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'message 0', '00000000-0000-4000-8000-0000000c1d00') $$,
  'dave sends his first message'
);
select lives_ok(
  $$ do $do$ begin
       for i in 1..59 loop
         perform public.send_message('00000000-0000-4000-8000-00000000e414', 'message ' || i, gen_random_uuid());
       end loop;
     end $do$ $$,
  'and 59 more'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'one too many', gen_random_uuid()) $$,
  'PT429', null, 'the 61st message within 10 s is PT429'
);
select is(
  (select count(*) from public.messages where sender_id = '00000000-0000-4000-8000-00000000da4e'),
  60::bigint,
  'the refused message was not stored'
);
select is(
  (select created from public.send_message('00000000-0000-4000-8000-00000000e414', 'message 0', '00000000-0000-4000-8000-0000000c1d00')),
  false,
  'a retry of a stored message still answers over the limit (it stores nothing)'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'message 0, edited', '00000000-0000-4000-8000-0000000c1d00') $$,
  'PT409', null, 'a conflicting retry is still a conflict'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000e414", "role": "authenticated"}';
select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000da4e', 'my own budget', gen_random_uuid()) $$,
  'the other direction is another user''s budget'
);

-- The operator changes the limit with SQL; users cannot read or change it.
reset role;
update public.app_settings set value = '1/10' where name = 'send_limit';
set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-000000009a50", "role": "authenticated"}';
select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'first', gen_random_uuid()) $$,
  'with app_settings at 1/10, the first message goes'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'second', gen_random_uuid()) $$,
  'PT429', null, 'the second is PT429'
);
select throws_ok($$ select * from public.app_settings $$, '42501', null, 'a user cannot read app_settings');
select throws_ok(
  $$ update public.app_settings set value = '100000/1' $$,
  '42501', null, 'a user cannot raise the limit in app_settings'
);

-- The app's SQL store passes RATE_LIMIT_SEND for its transaction; that wins over app_settings.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000f4a4", "role": "authenticated"}';
set local chat.send_limit = '2/10';
select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'one', gen_random_uuid()) $$,
  'with the store''s limit at 2/10, the first message goes'
);
select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'two', gen_random_uuid()) $$,
  'and the second'
);
select throws_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'three', gen_random_uuid()) $$,
  'PT429', null, 'the third is PT429'
);
set local chat.send_limit = '3/10';
select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000e414', 'three', gen_random_uuid()) $$,
  'at 3/10, the third goes'
);
select is(
  (select count(*) from public.messages where sender_id = '00000000-0000-4000-8000-00000000f4a4'),
  3::bigint,
  'three messages stored'
);

select * from finish();
rollback;
