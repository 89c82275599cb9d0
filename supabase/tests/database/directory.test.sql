-- The directory is private: a user sees their own profile and their conversation peers', finds
-- strangers only by their exact email address, and edits only their own display name (through
-- update_profile). Alice and Bob talk; Kim and Lee are strangers; Mia has 22 peers.
begin;
select plan(28);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000a003', 'alice@dir.example'),
  ('00000000-0000-4000-8000-00000000b003', 'bob@dir.example'),
  ('00000000-0000-4000-8000-00000000c003', 'Kim@Dir.Example'),
  ('00000000-0000-4000-8000-00000000d003', 'lee@dir.example'),
  ('00000000-0000-4000-8000-00000000e003', 'mia@dir.example');
insert into auth.users (id, email)
select ('00000000-0000-4000-8000-0000000f00' || lpad(i::text, 2, '0'))::uuid, 'peer' || lpad(i::text, 2, '0') || '@dir.example'
from generate_series(0, 21) i;
insert into public.messages (sender_id, recipient_id, content, client_id)
values ('00000000-0000-4000-8000-00000000a003', '00000000-0000-4000-8000-00000000b003', 'hi bob', gen_random_uuid());
insert into public.messages (sender_id, recipient_id, content, client_id)
select ('00000000-0000-4000-8000-0000000f00' || lpad(i::text, 2, '0'))::uuid, '00000000-0000-4000-8000-00000000e003', 'hi mia', gen_random_uuid()
from generate_series(0, 21) i;

-- The trigger gives every new user a profile.
select results_eq(
  $$ select email, display_name from public.profiles where id = '00000000-0000-4000-8000-00000000c003' $$,
  $$ values ('kim@dir.example'::text, null::text) $$,
  'a new user gets a profile, email lowercased, no display name'
);

set local role authenticated;

-- Who sees whom.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000c003", "role": "authenticated"}';
select results_eq($$ select email from public.profiles $$, $$ values ('kim@dir.example'::text) $$, 'a stranger sees only their own profile');
select is_empty(
  $$ select * from public.get_profile('00000000-0000-4000-8000-00000000a003') $$,
  'get_profile finds no stranger'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000a003", "role": "authenticated"}';
select results_eq(
  $$ select email from public.profiles order by email $$,
  $$ values ('alice@dir.example'::text), ('bob@dir.example') $$,
  'a user sees their own profile and their peer''s'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b003", "role": "authenticated"}';
select results_eq(
  $$ select email from public.get_profile('00000000-0000-4000-8000-00000000a003') $$,
  $$ values ('alice@dir.example'::text) $$,
  'get_profile finds a peer'
);
select results_eq(
  $$ select peer_email from public.list_conversations(10) $$,
  $$ values ('alice@dir.example'::text) $$,
  'the conversation list shows the peer''s profile'
);

-- Search: a stranger only by exact email (case and padding aside), a peer also by prefix.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000d003", "role": "authenticated"}';
select is_empty($$ select * from public.search_profiles('alice') $$, 'a stranger is not found by a prefix');
select is_empty($$ select * from public.search_profiles('alice@dir.exampl') $$, 'nor by an almost complete address');
select results_eq(
  $$ select email from public.search_profiles('ALICE@dir.example') $$,
  $$ values ('alice@dir.example'::text) $$,
  'a stranger is found by their exact email, in any case'
);
select results_eq(
  $$ select email from public.search_profiles(E'  alice@dir.example \t') $$,
  $$ values ('alice@dir.example'::text) $$,
  'padding around the address is ignored'
);
select is_empty($$ select * from public.search_profiles('%') $$, 'a wildcard finds nobody');
select is_empty($$ select * from public.search_profiles('lee@dir.example') $$, 'nobody finds themselves');
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b003", "role": "authenticated"}';
select results_eq(
  $$ select email from public.search_profiles('al') $$,
  $$ values ('alice@dir.example'::text) $$,
  'a peer is found by a prefix'
);
select is_empty($$ select * from public.search_profiles('a_ice') $$, 'an underscore is literal, not a wildcard');
select is_empty($$ select * from public.search_profiles('bob') $$, 'a prefix never finds oneself');
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000e003", "role": "authenticated"}';
select is((select count(*) from public.search_profiles('peer', 100)), 20::bigint, 'a search answers at most 20 people');
select is((select count(*) from public.search_profiles('peer', 0)), 1::bigint, 'and at least 1');
select is((select count(*) from public.search_profiles('peer')), 20::bigint, '20 by default');
select is((select email from public.search_profiles('peer', 1)), 'peer00@dir.example', 'ordered by email');

-- Editing: only one's own display name, only through update_profile.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000c003", "role": "authenticated"}';
select throws_ok(
  $$ update public.profiles set display_name = 'Kim' where id = '00000000-0000-4000-8000-00000000c003' $$,
  '42501', null, 'a user cannot update their own profile directly'
);
select throws_ok(
  $$ update public.profiles set display_name = 'Hacked' where id = '00000000-0000-4000-8000-00000000b003' $$,
  '42501', null, 'nor anyone else''s'
);
select throws_ok(
  $$ update public.profiles set email = 'x@y.z' where id = '00000000-0000-4000-8000-00000000c003' $$,
  '42501', null, 'a user cannot change their email in the profile'
);
select throws_ok(
  $$ delete from public.profiles where id = '00000000-0000-4000-8000-00000000c003' $$,
  '42501', null, 'a user cannot delete their profile'
);
select throws_ok(
  $$ insert into public.profiles (id, email) values (gen_random_uuid(), 'ghost@dir.example') $$,
  '42501', null, 'a user cannot create a profile'
);
select results_eq(
  $$ select id, display_name from public.update_profile('Kim') $$,
  $$ values ('00000000-0000-4000-8000-00000000c003'::uuid, 'Kim'::text) $$,
  'update_profile sets the caller''s own display name'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b003", "role": "authenticated"}';
select results_eq(
  $$ select display_name from public.update_profile('Bob') $$,
  $$ values ('Bob'::text) $$,
  'bob sets his'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000a003", "role": "authenticated"}';
select results_eq(
  $$ select peer_display_name from public.list_conversations(10) $$,
  $$ values ('Bob'::text) $$,
  'his peer sees it'
);

reset role;
select results_eq(
  $$ select email, display_name from public.profiles
     where id in ('00000000-0000-4000-8000-00000000a003', '00000000-0000-4000-8000-00000000b003', '00000000-0000-4000-8000-00000000c003')
     order by email $$,
  $$ values ('alice@dir.example'::text, null::text), ('bob@dir.example', 'Bob'), ('kim@dir.example', 'Kim') $$,
  'as the owner: each changed only their own display name'
);

select * from finish();
rollback;
