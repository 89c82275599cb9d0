-- The shape every backend relies on: tables, functions, grants, policies, keys and
-- constraints. Run by `supabase test db` (Supabase CLI) and `npm run test:db` (pg_prove).
-- What users can do with it is proven as those users in the other files.
begin;
select plan(61);

-- The catalogue. A new table or function fails here until it is added to these lists, which
-- is the moment to write its tests (tables: rls.test.sql; functions: the file of its topic).
select tables_are(
  'public',
  array['app_settings', 'attachments', 'conversation_changes', 'conversation_members', 'conversation_reads', 'conversations',
        'message_reactions', 'messages', 'profiles', 'push_outbox'],
  'the tables in public are the ones this suite covers'
);
select functions_are(
  'public',
  array[
    -- triggers
    'add_direct_members', 'assign_message_position', 'handle_new_user', 'push_outbox_on_message', 'push_outbox_on_read',
    -- what users call (through PostgREST in Supabase mode)
    'get_messages', 'get_messages_page', 'get_profile', 'get_sent_message', 'list_conversations', 'mark_read',
    'search_profiles', 'send_message', 'update_profile',
    -- message search (search.test.sql)
    'search_messages',
    -- groups (groups.test.sql); my_conversation_ids is what the policies call
    'add_members', 'create_group', 'get_conversation', 'my_conversation_ids', 'remove_member', 'rename_group',
    'claim_my_pushes', 'claim_my_pushes_by_id', 'complete_my_pushes', 'complete_my_pushes_by_id', 'enqueue_session_revoked',
    'release_my_pushes',
    -- the outbox sweep: the owner's connection and the service role (push-outbox.test.sql)
    'claim_pushes', 'claim_pushes_by_id', 'complete_pushes', 'complete_pushes_by_id', 'release_pushes',
    -- helpers of those, not callable by users
    'chat_trim', 'checked_display_name', 'checked_message_content', 'enforce_send_limit', 'is_invisible_text',
    'raise_invalid', 'require_user',
    'checked_group_name', 'checked_user_ids', 'group_max_members', 'lock_group', 'post_system_message', 'raise_not_owner',
    'require_profiles',
    'claim_pushes_internal', 'claim_pushes_by_id_internal', 'complete_pushes_internal', 'complete_pushes_by_id_internal',
    'enqueue_session_revoked_for',
    'release_pushes_internal',
    -- the message lifecycle and the change stream (lifecycle.test.sql)
    'add_reaction', 'delete_message', 'edit_message', 'get_changes', 'remove_reaction',
    'message_attachments', 'message_json', 'reaction_summary', 'reply_preview',
    'checked_emoji', 'edit_window_seconds', 'lock_message', 'raise_message_deleted', 'reactions_per_message_max',
    'record_change', 'record_message_created', 'require_own_message', 'set_reaction',
    -- attachments (attachments.test.sql): what users call, the storage policies' checks, the sweep, a helper
    'complete_attachment', 'create_attachment', 'get_attachment',
    'can_read_attachment_object', 'can_write_attachment_object', 'readable_attachment',
    'claim_attachment_sweep', 'delete_swept_attachments', 'attachment_limit'
  ],
  'the functions in public are the ones this suite covers'
);
select views_are('public', array['message_details'], 'the one view: messages with what the API adds (security_invoker)');
select is(
  (select c.reloptions from pg_class c where c.oid = 'public.message_details'::regclass),
  array['security_invoker=true'],
  'message_details reads as the caller, under row level security'
);

-- Every table the API exposes is guarded: a new table without RLS fails here.
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity),
  '{}'::text[],
  'every table in public has row level security enabled'
);

-- Policies: reading only, by signed-in users only. Writes go through the functions.
select policies_are('public', 'profiles', array['users read their own and their peers'' profiles'], 'profiles: one read policy');
select policies_are('public', 'conversations', array['members read their conversations'], 'conversations: one read policy');
select policies_are('public', 'messages', array['members read their messages'], 'messages: one read policy');
select policies_are('public', 'conversation_members', array['members read their conversations'' members'], 'conversation_members: one read policy');
select policies_are('public', 'conversation_reads', array['members read their conversations'' read state'], 'conversation_reads: one read policy');
select policies_are('public', 'app_settings', '{}'::name[], 'app_settings: no policy, so nobody but the owner reads it');
select policies_are('public', 'push_outbox', '{}'::name[], 'push_outbox: no policy, not even for a user''s own rows');
select policies_are('public', 'attachments', array['members read their conversations'' attachments'], 'attachments: one read policy');
select policies_are('public', 'conversation_changes', array['members read their conversations'' changes'], 'conversation_changes: one read policy');
select policies_are('public', 'message_reactions', array['members read their conversations'' reactions'], 'message_reactions: one read policy');
select is_empty(
  $$ select policyname from pg_policies
     where schemaname = 'public' and (cmd <> 'SELECT' or roles <> '{authenticated}'::name[]) $$,
  'every policy is for SELECT, to the authenticated role only'
);
-- auth.uid() wrapped in a sub-select is evaluated once per statement, not once per row.
select is_empty(
  $$ select policyname from pg_policies
     where schemaname = 'public'
       and concat(qual, ' ', with_check) ~ 'auth\.uid\(\)'
       and concat(qual, ' ', with_check) !~* '\(\s*select auth\.uid\(\)' $$,
  'policies read the caller through (select auth.uid())'
);

-- Grants: reading only, and only what row level security filters. The functions are the
-- only write path (rls.test.sql tries the writes as users).
select table_privs_are('public', 'profiles', 'authenticated', array['SELECT'], 'authenticated may only read profiles');
select table_privs_are('public', 'conversations', 'authenticated', array['SELECT'], 'authenticated may only read conversations');
select table_privs_are('public', 'messages', 'authenticated', array['SELECT'], 'authenticated may only read messages');
select table_privs_are('public', 'conversation_members', 'authenticated', array['SELECT'], 'authenticated may only read conversation_members');
select table_privs_are('public', 'conversation_reads', 'authenticated', array['SELECT'], 'authenticated may only read conversation_reads');
select table_privs_are('public', 'app_settings', 'authenticated', '{}'::text[], 'authenticated holds no privilege on app_settings');
select table_privs_are('public', 'push_outbox', 'authenticated', '{}'::text[], 'authenticated holds no privilege on push_outbox');
select table_privs_are('public', 'attachments', 'authenticated', array['SELECT'], 'authenticated may only read attachments');
select table_privs_are('public', 'conversation_changes', 'authenticated', array['SELECT'], 'authenticated may only read conversation_changes');
select table_privs_are('public', 'message_reactions', 'authenticated', array['SELECT'], 'authenticated may only read message_reactions');
select table_privs_are('public', 'message_details', 'authenticated', array['SELECT'], 'authenticated may only read message_details');
select is_empty(
  $$ select table_name, privilege_type from information_schema.role_table_grants
     where grantee = 'anon' and table_schema = 'public' $$,
  'anon holds no privilege on any table'
);
select is_empty(
  $$ select r.role, c.relname, p.privilege
     from pg_class c
     cross join (values ('anon'), ('authenticated')) r(role)
     cross join (values ('INSERT'), ('UPDATE'), ('REFERENCES')) p(privilege)
     where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
       and has_any_column_privilege(r.role, c.oid, p.privilege) $$,
  'no column grant lets anon or authenticated write a column'
);

-- Functions: users call the API functions only (the outbox's own-rows ones included); the
-- sweep, triggers and helpers stay the owner's (and the service role's).
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
   where p.pronamespace = 'public'::regnamespace and has_function_privilege('authenticated', p.oid, 'execute')),
  array[
    'add_members', 'add_reaction', 'can_read_attachment_object', 'can_write_attachment_object',
    'claim_my_pushes', 'claim_my_pushes_by_id', 'complete_attachment', 'complete_my_pushes', 'complete_my_pushes_by_id',
    'create_attachment', 'create_group',
    'delete_message', 'edit_message', 'enqueue_session_revoked', 'get_attachment', 'get_changes',
    'get_conversation', 'get_messages', 'get_messages_page', 'get_profile', 'get_sent_message', 'list_conversations', 'mark_read',
    'message_attachments', 'message_json', 'my_conversation_ids', 'reaction_summary', 'readable_attachment',
    'release_my_pushes', 'remove_member', 'remove_reaction', 'rename_group', 'reply_preview',
    'search_messages', 'search_profiles', 'send_message', 'update_profile'
  ],
  'authenticated may execute exactly the API functions'
);
select is_empty(
  $$ select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute')
       and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e') $$,
  'anon can execute no function in public'
);
-- The outbox's functions all run as the owner: nobody else holds a privilege on push_outbox.
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
   where p.pronamespace = 'public'::regnamespace and p.prosecdef),
  array[
    'add_direct_members', 'add_members', 'add_reaction', 'assign_message_position', 'can_read_attachment_object',
    'can_write_attachment_object', 'claim_attachment_sweep', 'claim_my_pushes', 'claim_my_pushes_by_id', 'claim_pushes',
    'claim_pushes_by_id', 'claim_pushes_by_id_internal', 'claim_pushes_internal', 'complete_attachment', 'complete_my_pushes',
    'complete_my_pushes_by_id', 'complete_pushes', 'complete_pushes_by_id', 'complete_pushes_by_id_internal',
    'complete_pushes_internal', 'create_attachment', 'create_group', 'delete_message', 'delete_swept_attachments',
    'edit_message', 'enqueue_session_revoked', 'enqueue_session_revoked_for', 'get_attachment', 'handle_new_user',
    'mark_read', 'my_conversation_ids', 'push_outbox_on_message', 'push_outbox_on_read', 'readable_attachment',
    'record_message_created', 'release_my_pushes', 'release_pushes', 'release_pushes_internal', 'remove_member',
    'remove_reaction', 'rename_group', 'search_profiles', 'send_message', 'set_reaction', 'update_profile'
  ],
  'exactly the writing functions, the triggers, the directory search, the policies'' membership lookup and the outbox''s functions run as their owner'
);
-- IMPORTANT: a SECURITY DEFINER function without a fixed search_path can be hijacked.
select is_empty(
  $$ select p.proname from pg_proc p
     where p.pronamespace = 'public'::regnamespace and not coalesce('search_path=""' = any(p.proconfig), false) $$,
  'every function in public runs with an empty search_path'
);

select col_is_pk('public', 'messages', 'id', 'messages are keyed by id');
select col_is_unique('public', 'messages', array['sender_id', 'client_id'], 'a client id is unique per sender');
select col_is_unique('public', 'messages', array['conversation_id', 'seq'], 'a position is unique per conversation');
select col_is_unique('public', 'conversations', array['user_a', 'user_b'], 'one conversation per pair');
select col_is_pk('public', 'conversation_members', array['conversation_id', 'user_id'], 'one membership per user and conversation');
select col_is_pk('public', 'conversation_reads', array['conversation_id', 'user_id'], 'one read position per member');
select col_is_pk('public', 'app_settings', 'name', 'one value per setting');
select col_is_pk('public', 'conversation_changes', array['conversation_id', 'pos'], 'one change per position of a conversation');
select col_is_pk('public', 'message_reactions', array['message_id', 'user_id', 'emoji'], 'one of each emoji per person per message');
select col_not_null('public', 'messages', 'pos', 'every message has its change-stream position');
select col_is_unique('public', 'push_outbox', array['push_id'], 'one outbox row per push id (the receiver''s dedupe key)');
select col_not_null('public', 'messages', 'content', 'content is required');
select fk_ok('public', 'messages', 'conversation_id', 'public', 'conversations', 'id');
select fk_ok('public', 'profiles', 'id', 'auth', 'users', 'id');

-- Check constraints, exercised as the table owner (RLS does not apply to it).
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000000a1', 'schema-a@test.example'),
  ('00000000-0000-4000-8000-0000000000b2', 'schema-b@test.example');
insert into public.messages (sender_id, recipient_id, content, client_id)
  values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2', 'hi', gen_random_uuid());

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
  $$ insert into public.messages (sender_id, recipient_id, content, client_id)
     values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2', '', gen_random_uuid()) $$,
  '23514', null, 'content is at least 1 character'
);
select throws_ok(
  $$ update public.profiles set display_name = repeat('n', 81) where id = '00000000-0000-4000-8000-0000000000a1' $$,
  '23514', null, 'a display name is at most 80 characters'
);
select throws_ok(
  $$ update public.profiles set display_name = '' where id = '00000000-0000-4000-8000-0000000000a1' $$,
  '23514', null, 'a display name is null rather than empty'
);
select throws_ok(
  $$ insert into public.conversation_reads (conversation_id, user_id, last_read_seq)
     select id, user_a, -1 from public.conversations $$,
  '23514', null, 'a read position is never negative'
);
select throws_ok(
  $$ insert into public.push_outbox (push_id, type, payload) values ('x_1', 'message.deleted', '{}') $$,
  '23514', null, 'an outbox row is one of the five push types the socket server knows'
);
select throws_ok(
  $$ update public.messages set deleted_at = now() where content = 'hi' $$,
  '23514', null, 'a deleted message keeps no content'
);
insert into public.conversations (id, kind, name) values ('00000000-0000-4000-8000-00000000c0c0', 'group', 'Schema');
select throws_ok(
  $$ insert into public.messages (conversation_id, sender_id, content, client_id, kind, system_event, system_user_ids, edited_at)
     values ('00000000-0000-4000-8000-00000000c0c0', '00000000-0000-4000-8000-0000000000a1', '', gen_random_uuid(),
             'system', 'renamed', '{}', now()) $$,
  '23514', null, 'a system message is never edited, deleted or a reply'
);
select throws_ok(
  $$ insert into public.conversations (kind, name) values ('group', '') $$,
  '23514', null, 'a group has a name of 1 to 80 characters'
);
select throws_ok(
  $$ insert into public.conversations (kind, user_a, user_b, name)
     values ('direct', '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2', 'named') $$,
  '23514', null, 'a direct conversation has a pair and no name'
);
select throws_ok(
  $$ insert into public.messages (sender_id, recipient_id, content, client_id, kind, system_event, system_user_ids)
     values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b2', '', gen_random_uuid(),
             'system', 'renamed', '{}') $$,
  '23514', null, 'a system message has no recipient'
);

select * from finish();
rollback;
