-- The shape every backend relies on: tables, keys, constraints, and row level security on
-- every table. Run by `supabase test db` (Supabase CLI) and `npm run test:db` (pg_prove).
begin;
select plan(20);

select has_table('public', 'profiles', 'profiles exists');
select has_table('public', 'conversations', 'conversations exists');
select has_table('public', 'messages', 'messages exists');
select has_table('public', 'conversation_reads', 'conversation_reads exists');

-- Every table the API exposes is guarded: a new table without RLS fails here.
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity),
  '{}'::text[],
  'every table in public has row level security enabled'
);
select is_empty(
  $$ select table_name, privilege_type from information_schema.role_table_grants
     where grantee = 'anon' and table_schema = 'public' $$,
  'anon holds no privilege on any table'
);
select is_empty(
  $$ select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute')
       and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e') $$,
  'anon can execute no function in public'
);

-- auth.uid() wrapped in a sub-select is evaluated once per statement, not once per row.
select is_empty(
  $$ select policyname from pg_policies
     where schemaname = 'public'
       and concat(qual, ' ', with_check) ~ 'auth\.uid\(\)'
       and concat(qual, ' ', with_check) !~* '\(\s*select auth\.uid\(\)' $$,
  'policies read the caller through (select auth.uid())'
);

select col_is_pk('public', 'messages', 'id', 'messages are keyed by id');
select col_is_unique('public', 'messages', array['sender_id', 'client_id'], 'a client id is unique per sender');
select col_is_unique('public', 'messages', array['conversation_id', 'seq'], 'a position is unique per conversation');
select col_is_unique('public', 'conversations', array['user_a', 'user_b'], 'one conversation per pair');
select col_is_pk('public', 'conversation_reads', array['conversation_id', 'user_id'], 'one read position per member');
select col_not_null('public', 'messages', 'content', 'content is required');
select fk_ok('public', 'messages', 'conversation_id', 'public', 'conversations', 'id');
select fk_ok('public', 'profiles', 'id', 'auth', 'users', 'id');

-- Check constraints, exercised as the table owner (RLS does not apply to it).
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000000a1', 'schema-a@test.example'),
  ('00000000-0000-4000-8000-0000000000b2', 'schema-b@test.example');

select throws_ok(
  $$ insert into public.conversations (user_a, user_b)
     values ('00000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000a1') $$,
  '23514', null, 'a pair is stored in one order only (user_a < user_b)'
);
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id)
     values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 'me', gen_random_uuid()) $$,
  '23514', null, 'nobody messages themselves'
);
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id)
     values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2', repeat('x', 4001), gen_random_uuid()) $$,
  '23514', null, 'content is at most 4000 characters'
);
select throws_ok(
  $$ update public.profiles set display_name = repeat('n', 81) where id = '00000000-0000-4000-8000-0000000000a1' $$,
  '23514', null, 'a display name is at most 80 characters'
);

select * from finish();
rollback;
