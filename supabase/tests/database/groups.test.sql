-- Groups as Supabase runs them: every call as `authenticated` (or `anon`) with the JWT's claims.
-- Olga creates a group with Max, Nina and Pete; Olga removes Pete (a former member); Sam is a
-- stranger. Members read and write through the functions; former members and strangers get
-- nothing of the group from any table or function; nobody writes a table directly.
begin;
select plan(101);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000001a1', 'olga@groups.example'),
  ('00000000-0000-4000-8000-0000000001a2', 'max@groups.example'),
  ('00000000-0000-4000-8000-0000000001a3', 'nina@groups.example'),
  ('00000000-0000-4000-8000-0000000001a4', 'pete@groups.example'),
  ('00000000-0000-4000-8000-0000000001a5', 'sam@groups.example');

set local role authenticated;

-- ---------------------------------------------------------------------------------------------
-- create_group: the rules
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a1", "role": "authenticated"}';
select throws_ok(
  $$ select public.create_group('Two of us', array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-0000000001a1']) $$,
  'PT422', 'A group needs at least 3 members, you included.', 'a group of two (the creator named again) is group_too_small'
);
select throws_ok(
  $$ select public.create_group('Ghosts', array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-00000000dead']) $$,
  'PT404', 'One of those users does not exist.', 'an unknown member is user_not_found'
);
select throws_ok(
  $$ select public.create_group(E' \u200b ', array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-0000000001a3']) $$,
  'PT422', 'name must not be empty', 'an invisible name is refused'
);
select throws_ok(
  $$ select public.create_group(repeat('n', 81), array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-0000000001a3']) $$,
  'PT422', 'name must be at most 80 characters', 'a name over 80 characters is refused'
);
select throws_ok(
  $$ select public.create_group(E'bad\u202ename', array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-0000000001a3']) $$,
  'PT422', 'name has characters that are not allowed', 'a name with a bidi override is refused'
);
select throws_ok(
  $$ select public.create_group('Nulls', array[null, '00000000-0000-4000-8000-0000000001a3'::uuid]) $$,
  'PT422', 'memberIds must be a list of user ids', 'a null member id is refused'
);
set local chat.group_max_members = '3';
select throws_ok(
  $$ select public.create_group('Crowd', array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-0000000001a3',
                                                '00000000-0000-4000-8000-0000000001a4']) $$,
  'PT422', 'A group has at most 3 members, you included.', 'past group_max_members is group_too_large'
);
set local chat.group_max_members = '';
select is(
  (select count(*) from public.conversations), 0::bigint, 'a refused group leaves nothing behind'
);

select lives_ok(
  $$ select set_config('test.group', (select conversation_id::text from public.create_group('  Trip  ',
       array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-0000000001a3', '00000000-0000-4000-8000-0000000001a4',
             '00000000-0000-4000-8000-0000000001a3'])), true) $$,
  'olga creates a group with max, nina and pete (a repeat counts once)'
);
select results_eq(
  $$ select user_id, role from public.conversation_members where conversation_id = current_setting('test.group')::uuid order by joined_at, user_id $$,
  $$ values ('00000000-0000-4000-8000-0000000001a1'::uuid, 'owner'::text), ('00000000-0000-4000-8000-0000000001a2', 'member'),
            ('00000000-0000-4000-8000-0000000001a3', 'member'), ('00000000-0000-4000-8000-0000000001a4', 'member') $$,
  'the creator is the owner and joined first; the others are members'
);
select results_eq(
  $$ select seq, kind, sender_id, recipient_id, content, system_event, system_user_ids, system_name from public.messages
     where conversation_id = current_setting('test.group')::uuid $$,
  $$ values (1::bigint, 'system'::text, '00000000-0000-4000-8000-0000000001a1'::uuid, null::uuid, ''::text, 'group_created'::text,
             array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-0000000001a3', '00000000-0000-4000-8000-0000000001a4'],
             'Trip'::text) $$,
  'the timeline starts with group_created (seq 1, the trimmed name, the others as userIds)'
);

-- ---------------------------------------------------------------------------------------------
-- Owners manage; members do not.
select lives_ok(
  $$ select public.rename_group(current_setting('test.group')::uuid, 'Summer trip') $$, 'the owner renames the group'
);
select lives_ok(
  $$ select public.rename_group(current_setting('test.group')::uuid, ' Summer trip ') $$, 'the same name again is a no-op'
);
select results_eq(
  $$ select c.name, (select max(seq) from public.messages m where m.conversation_id = c.id) from public.conversations c $$,
  $$ values ('Summer trip'::text, 2::bigint) $$,
  'renamed, with one renamed message (seq 2)'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a2", "role": "authenticated"}';
select throws_ok(
  $$ select public.rename_group(current_setting('test.group')::uuid, 'Mine now') $$,
  'PT403', 'Only the group''s owners may do that.', 'a member cannot rename'
);
select throws_ok(
  $$ select public.add_members(current_setting('test.group')::uuid, array['00000000-0000-4000-8000-0000000001a5'::uuid]) $$,
  'PT403', 'Only the group''s owners may do that.', 'a member cannot add'
);
select throws_ok(
  $$ select public.remove_member(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a3') $$,
  'PT403', 'Only the group''s owners may do that.', 'a member cannot remove someone else'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a1", "role": "authenticated"}';
select throws_ok(
  $$ select public.remove_member(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a5') $$,
  'PT404', 'That user is not a member of this group.', 'removing a non-member is member_not_found'
);
select throws_ok(
  $$ select public.add_members(current_setting('test.group')::uuid, array['00000000-0000-4000-8000-00000000dead'::uuid]) $$,
  'PT404', 'One of those users does not exist.', 'adding an unknown user is user_not_found'
);
set local chat.group_max_members = '4';
select throws_ok(
  $$ select public.add_members(current_setting('test.group')::uuid, array['00000000-0000-4000-8000-0000000001a5'::uuid]) $$,
  'PT422', 'A group has at most 4 members.', 'adding past group_max_members is group_too_large'
);
select lives_ok(
  $$ select public.add_members(current_setting('test.group')::uuid, array['00000000-0000-4000-8000-0000000001a2'::uuid]) $$,
  'adding a present member is a no-op, also at the limit'
);
set local chat.group_max_members = '';
select results_eq(
  $$ select public.remove_member(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a4') $$,
  $$ values (row(current_setting('test.group')::uuid, false)) $$,
  'the owner removes pete (left = false)'
);
select results_eq(
  $$ select seq, system_event, system_user_ids from public.messages where conversation_id = current_setting('test.group')::uuid and seq > 2 $$,
  $$ values (3::bigint, 'member_removed'::text, array['00000000-0000-4000-8000-0000000001a4'::uuid]) $$,
  'the removal is member_removed (seq 3); the refused calls and the no-op added nothing'
);

-- ---------------------------------------------------------------------------------------------
-- A member reads and writes the group.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a2", "role": "authenticated"}';
select results_eq(
  $$ select seq, recipient_id, kind, created from public.send_message(p_conversation_id => current_setting('test.group')::uuid,
       p_content => ' hello all ', p_client_id => '00000000-0000-4000-8000-00000000c001') $$,
  $$ values (4::bigint, null::uuid, 'text'::text, true) $$,
  'a member sends into the group: seq 4, no recipient'
);
select results_eq(
  $$ select seq, created from public.send_message(p_conversation_id => current_setting('test.group')::uuid,
       p_content => 'hello all', p_client_id => '00000000-0000-4000-8000-00000000c001') $$,
  $$ values (4::bigint, false) $$,
  'a retry of the same clientId answers the stored message'
);
select throws_ok(
  $$ select public.send_message(p_conversation_id => current_setting('test.group')::uuid, p_content => 'other words',
       p_client_id => '00000000-0000-4000-8000-00000000c001') $$,
  'PT409', 'This clientId was already used for another message.', 'the same clientId with other content is client_id_conflict'
);
select throws_ok(
  $$ select public.send_message(p_recipient_id => '00000000-0000-4000-8000-0000000001a3', p_content => 'hello all',
       p_client_id => '00000000-0000-4000-8000-00000000c001') $$,
  'PT409', 'This clientId was already used for another message.', 'the same clientId to a person instead is client_id_conflict'
);
select throws_ok(
  $$ select public.send_message(p_recipient_id => '00000000-0000-4000-8000-0000000001a3', p_content => 'both',
       p_client_id => gen_random_uuid(), p_conversation_id => current_setting('test.group')::uuid) $$,
  'PT422', 'send either recipientId or conversationId, not both', 'a recipient and a conversation at once are refused'
);
select throws_ok(
  $$ select public.send_message(p_conversation_id => current_setting('test.group')::uuid, p_content => E'\u200b',
       p_client_id => gen_random_uuid()) $$,
  'PT422', 'content must not be only invisible characters', 'the content rules apply to group sends'
);
select results_eq(
  $$ select seq from public.messages where conversation_id = current_setting('test.group')::uuid order by seq $$,
  $$ values (1::bigint), (2), (3), (4) $$,
  'a member reads the whole timeline, gapless'
);
select results_eq(
  $$ select seq from public.get_messages(p_conversation_id => current_setting('test.group')::uuid, p_limit => 2) $$,
  $$ values (3::bigint), (4) $$,
  'get_messages by conversation: the newest page'
);
select results_eq(
  $$ select seq from public.get_messages(p_conversation_id => current_setting('test.group')::uuid, p_limit => 10,
       p_after => (select id from public.messages where seq = 2 and conversation_id = current_setting('test.group')::uuid)) $$,
  $$ values (3::bigint), (4) $$,
  'get_messages by conversation: catch-up after a message'
);
select results_eq(
  $$ select user_id from public.conversation_members where conversation_id = current_setting('test.group')::uuid order by user_id $$,
  $$ values ('00000000-0000-4000-8000-0000000001a1'::uuid), ('00000000-0000-4000-8000-0000000001a2'), ('00000000-0000-4000-8000-0000000001a3') $$,
  'a member reads the current members'
);
select results_eq(
  $$ select kind, name, role, peer_id, member_count, jsonb_array_length(member_preview), seq, unread_count, peer_last_read_seq,
            jsonb_array_length(read_states)
     from public.list_conversations(100) $$,
  $$ values ('group'::text, 'Summer trip'::text, 'member'::text, null::uuid, 3::bigint, 3, 4::bigint, 3::bigint, 0::bigint, 2) $$,
  'list_conversations: the group with its name, role, members, last message, unread count (not my own) and two read states'
);
select results_eq(
  $$ select jsonb_array_length(member_list), member_list -> 0 -> 'user' ->> 'email', member_list -> 0 ->> 'role'
     from public.get_conversation(current_setting('test.group')::uuid) $$,
  $$ values (3, 'olga@groups.example'::text, 'owner'::text) $$,
  'get_conversation: every member, the owner first'
);
select results_eq(
  $$ select peer_id, last_read_seq from public.mark_read(p_conversation_id => current_setting('test.group')::uuid, p_seq => 99) $$,
  $$ values (null::uuid, 4::bigint) $$,
  'mark_read by conversation: clamped to the last message, no peer in a group'
);
select results_eq(
  $$ select user_id, last_read_seq from public.conversation_reads where conversation_id = current_setting('test.group')::uuid $$,
  $$ values ('00000000-0000-4000-8000-0000000001a2'::uuid, 4::bigint) $$,
  'a member reads the group''s read positions'
);
select results_eq(
  $$ select email from public.profiles order by email $$,
  $$ values ('max@groups.example'::text), ('nina@groups.example'), ('olga@groups.example') $$,
  'a member reads the profiles of the other members (not of pete, who was removed)'
);
select is(
  (select count(*) from public.my_conversation_ids()), 1::bigint, 'my_conversation_ids answers the caller''s own conversations'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a3", "role": "authenticated"}';
select results_eq(
  $$ select read_states from public.list_conversations(100) $$,
  $$ values ('[{"userId": "00000000-0000-4000-8000-0000000001a1", "lastReadSeq": 0}, {"userId": "00000000-0000-4000-8000-0000000001a2", "lastReadSeq": 4}]'::jsonb) $$,
  'another member sees who read how far ("Seen by")'
);

-- ---------------------------------------------------------------------------------------------
-- A former member (pete) and a stranger (sam) get nothing of the group.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a4", "role": "authenticated"}';
select is_empty($$ select * from public.messages $$, 'a former member reads no message, not even the ones before the removal');
select is_empty($$ select * from public.conversations $$, 'a former member sees no conversation');
select is_empty($$ select * from public.conversation_members $$, 'a former member sees no member');
select is_empty($$ select * from public.conversation_reads $$, 'a former member sees no read position');
select is_empty($$ select * from public.list_conversations(100) $$, 'a former member lists nothing');
select is_empty($$ select * from public.get_conversation(current_setting('test.group')::uuid) $$, 'get_conversation: nothing for a former member');
select is_empty($$ select * from public.my_conversation_ids() $$, 'my_conversation_ids: nothing for a former member');
select throws_ok(
  $$ select public.get_messages(p_conversation_id => current_setting('test.group')::uuid, p_limit => 50) $$,
  'PT404', 'There is no such conversation.', 'get_messages: a former member gets conversation_not_found'
);
select throws_ok(
  $$ select public.send_message(p_conversation_id => current_setting('test.group')::uuid, p_content => 'still here?',
       p_client_id => gen_random_uuid()) $$,
  'PT404', 'There is no such conversation.', 'send_message: a former member gets conversation_not_found'
);
select is_empty(
  $$ select * from public.mark_read(p_conversation_id => current_setting('test.group')::uuid, p_seq => 3) $$,
  'mark_read: nothing for a former member'
);
select throws_ok(
  $$ select public.rename_group(current_setting('test.group')::uuid, 'Back') $$,
  'PT404', 'There is no such conversation.', 'rename_group: a former member gets conversation_not_found'
);
select throws_ok(
  $$ select public.add_members(current_setting('test.group')::uuid, array['00000000-0000-4000-8000-0000000001a4'::uuid]) $$,
  'PT404', 'There is no such conversation.', 'add_members: a former member cannot add themselves back'
);
select throws_ok(
  $$ select public.remove_member(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a4') $$,
  'PT404', 'There is no such conversation.', 'remove_member: a former member gets conversation_not_found'
);
select results_eq(
  $$ select email from public.profiles $$, $$ values ('pete@groups.example'::text) $$,
  'a former member reads only their own profile'
);

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a5", "role": "authenticated"}';
select is_empty($$ select * from public.messages $$, 'a stranger reads no message');
select is_empty($$ select * from public.conversations $$, 'a stranger sees no conversation');
select is_empty($$ select * from public.conversation_members $$, 'a stranger sees no member');
select is_empty($$ select * from public.conversation_reads $$, 'a stranger sees no read position');
select is_empty($$ select * from public.list_conversations(100) $$, 'a stranger lists nothing');
select is_empty($$ select * from public.get_conversation(current_setting('test.group')::uuid) $$, 'get_conversation: nothing for a stranger');
select throws_ok(
  $$ select public.get_messages(p_conversation_id => current_setting('test.group')::uuid, p_limit => 50) $$,
  'PT404', 'There is no such conversation.', 'get_messages: a stranger gets conversation_not_found'
);
select throws_ok(
  $$ select public.send_message(p_conversation_id => current_setting('test.group')::uuid, p_content => 'let me in',
       p_client_id => gen_random_uuid()) $$,
  'PT404', 'There is no such conversation.', 'send_message: a stranger gets conversation_not_found'
);
select is_empty(
  $$ select * from public.mark_read(p_conversation_id => current_setting('test.group')::uuid, p_seq => 3) $$,
  'mark_read: nothing for a stranger'
);
select throws_ok(
  $$ select public.rename_group(current_setting('test.group')::uuid, 'Mine') $$,
  'PT404', 'There is no such conversation.', 'rename_group: a stranger gets conversation_not_found'
);
select throws_ok(
  $$ select public.add_members(current_setting('test.group')::uuid, array['00000000-0000-4000-8000-0000000001a5'::uuid]) $$,
  'PT404', 'There is no such conversation.', 'add_members: a stranger cannot add themselves'
);
select throws_ok(
  $$ select public.remove_member(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a2') $$,
  'PT404', 'There is no such conversation.', 'remove_member: a stranger gets conversation_not_found'
);

-- ---------------------------------------------------------------------------------------------
-- Nobody writes the tables directly, members included; the helpers are not callable.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a2", "role": "authenticated"}';
select throws_ok(
  $$ insert into public.conversation_members (conversation_id, user_id) values (current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a5') $$,
  '42501', null, 'a member cannot insert a membership'
);
select throws_ok(
  $$ update public.conversation_members set role = 'owner' $$, '42501', null, 'a member cannot make themselves owner'
);
select throws_ok($$ delete from public.conversation_members $$, '42501', null, 'a member cannot delete memberships');
select throws_ok($$ update public.conversations set name = 'x' $$, '42501', null, 'a member cannot rename by UPDATE');
select throws_ok(
  $$ insert into public.messages (conversation_id, sender_id, content, client_id, kind, system_event, system_user_ids)
     values (current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a2', '', gen_random_uuid(), 'system', 'renamed', '{}') $$,
  '42501', null, 'a member cannot forge a system message'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a5", "role": "authenticated"}';
select throws_ok(
  $$ insert into public.conversation_members (conversation_id, user_id) values (current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a5') $$,
  '42501', null, 'a stranger cannot join by INSERT'
);
select throws_ok(
  $$ select public.lock_group(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a1') $$,
  '42501', null, 'a user cannot call lock_group'
);
select throws_ok(
  $$ select public.post_system_message(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a5', 'renamed', '{}', 'x') $$,
  '42501', null, 'a user cannot call post_system_message'
);
select throws_ok($$ select public.checked_group_name('x') $$, '42501', null, 'a user cannot call checked_group_name');
select throws_ok($$ select public.group_max_members() $$, '42501', null, 'a user cannot call group_max_members');
select throws_ok($$ select public.require_profiles('{}') $$, '42501', null, 'a user cannot call require_profiles');
select throws_ok($$ select public.checked_user_ids('{}', 'x') $$, '42501', null, 'a user cannot call checked_user_ids');
select throws_ok($$ select public.raise_not_owner() $$, '42501', null, 'a user cannot call raise_not_owner');

-- ---------------------------------------------------------------------------------------------
-- Leaving; the last owner leaving hands the group to the longest-standing member.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a1", "role": "authenticated"}';
select lives_ok(
  $$ select public.add_members(current_setting('test.group')::uuid, array['00000000-0000-4000-8000-0000000001a4'::uuid]) $$,
  'the owner adds pete back'
);
select results_eq(
  $$ select public.remove_member(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a1') $$,
  $$ values (row(current_setting('test.group')::uuid, true)) $$,
  'the owner leaves (left = true)'
);
select is_empty($$ select * from public.messages $$, 'who left reads nothing any more');
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a4", "role": "authenticated"}';
select results_eq(
  $$ select seq, sender_id, system_event, system_user_ids from public.messages where seq > 4 order by seq $$,
  $$ values (5::bigint, '00000000-0000-4000-8000-0000000001a1'::uuid, 'member_added'::text, array['00000000-0000-4000-8000-0000000001a4'::uuid]),
            (6, '00000000-0000-4000-8000-0000000001a1', 'member_left', array['00000000-0000-4000-8000-0000000001a1'::uuid]),
            (7, '00000000-0000-4000-8000-0000000001a1', 'owner_changed', array['00000000-0000-4000-8000-0000000001a2'::uuid]) $$,
  'added again, pete reads the timeline: the add, the leave, and max (joined first of the rest, then by id) became owner'
);
select results_eq(
  $$ select user_id, role from public.conversation_members order by joined_at, user_id $$,
  $$ values ('00000000-0000-4000-8000-0000000001a2'::uuid, 'owner'::text), ('00000000-0000-4000-8000-0000000001a3', 'member'),
            ('00000000-0000-4000-8000-0000000001a4', 'member') $$,
  'max is the owner now'
);
select results_eq(
  $$ select public.remove_member(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000001a4') $$,
  $$ values (row(current_setting('test.group')::uuid, true)) $$,
  'a member leaves by removing themselves'
);

-- ---------------------------------------------------------------------------------------------
-- Direct conversations by id; direct ones are not groups.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000001a3", "role": "authenticated"}';
select lives_ok(
  $$ select set_config('test.direct', (select conversation_id::text from public.send_message('00000000-0000-4000-8000-0000000001a5', 'hi sam',
       gen_random_uuid())), true) $$,
  'nina writes to sam'
);
select results_eq(
  $$ select user_id, role from public.conversation_members where conversation_id = current_setting('test.direct')::uuid order by user_id $$,
  $$ values ('00000000-0000-4000-8000-0000000001a3'::uuid, 'member'::text), ('00000000-0000-4000-8000-0000000001a5', 'member') $$,
  'a new direct conversation has both users as members'
);
select results_eq(
  $$ select seq, recipient_id from public.send_message(p_conversation_id => current_setting('test.direct')::uuid, p_content => 'by id',
       p_client_id => gen_random_uuid()) $$,
  $$ values (2::bigint, '00000000-0000-4000-8000-0000000001a5'::uuid) $$,
  'send_message by a direct conversation''s id goes to the peer'
);
select results_eq(
  $$ select peer_id, last_read_seq from public.mark_read(p_conversation_id => current_setting('test.direct')::uuid, p_seq => 2) $$,
  $$ values ('00000000-0000-4000-8000-0000000001a5'::uuid, 2::bigint) $$,
  'mark_read by a direct conversation''s id names the peer'
);
select throws_ok(
  $$ select public.rename_group(current_setting('test.direct')::uuid, 'Us') $$,
  'PT422', 'This is not a group conversation.', 'a direct conversation cannot be renamed'
);
select throws_ok(
  $$ select public.remove_member(current_setting('test.direct')::uuid, '00000000-0000-4000-8000-0000000001a5') $$,
  'PT422', 'This is not a group conversation.', 'nobody is removed from a direct conversation'
);
select results_eq(
  $$ select kind, name, peer_email, member_count, role from public.list_conversations(100) where kind = 'direct' $$,
  $$ values ('direct'::text, null::text, 'sam@groups.example'::text, 2::bigint, 'member'::text) $$,
  'list_conversations: a direct conversation with its peer and two members'
);

-- ---------------------------------------------------------------------------------------------
-- Pushes: a group's go to its members at commit; membership changes also push conversation.updated.
reset role;
select results_eq(
  $$ select payload -> 'to' from public.push_outbox
     where type = 'message.created' and payload ->> 'conversationId' = current_setting('test.group') and (payload ->> 'seq')::int = 4 $$,
  $$ values ('["00000000-0000-4000-8000-0000000001a1", "00000000-0000-4000-8000-0000000001a2", "00000000-0000-4000-8000-0000000001a3"]'::jsonb) $$,
  'a group message is pushed to every member at its commit (not to pete, removed before)'
);
select results_eq(
  $$ select payload -> 'system' from public.push_outbox
     where type = 'message.created' and payload ->> 'conversationId' = current_setting('test.group') and (payload ->> 'seq')::int = 3 $$,
  $$ values ('{"event": "member_removed", "actorId": "00000000-0000-4000-8000-0000000001a1", "userIds": ["00000000-0000-4000-8000-0000000001a4"], "name": null}'::jsonb) $$,
  'a system message carries its event, actor and users'
);
select results_eq(
  $$ select push_id, payload - 'conversationId' from public.push_outbox
     where type = 'conversation.updated' and payload ->> 'conversationId' = current_setting('test.group') order by id limit 1 offset 2 $$,
  $$ values ('conv_' || current_setting('test.group') || '_3', '{"name": "Summer trip",
             "memberIds": ["00000000-0000-4000-8000-0000000001a1", "00000000-0000-4000-8000-0000000001a2", "00000000-0000-4000-8000-0000000001a3"],
             "removedIds": ["00000000-0000-4000-8000-0000000001a4"],
             "to": ["00000000-0000-4000-8000-0000000001a1", "00000000-0000-4000-8000-0000000001a2", "00000000-0000-4000-8000-0000000001a3",
                    "00000000-0000-4000-8000-0000000001a4"]}'::jsonb) $$,
  'the removal pushes conversation.updated to the members and the removed one'
);
select results_eq(
  $$ select payload -> 'peerId', payload -> 'to' from public.push_outbox
     where type = 'read.updated' and payload ->> 'conversationId' = current_setting('test.group') $$,
  $$ values ('null'::jsonb, '["00000000-0000-4000-8000-0000000001a1", "00000000-0000-4000-8000-0000000001a2", "00000000-0000-4000-8000-0000000001a3"]'::jsonb) $$,
  'a group read position is pushed to every member, without a peer'
);
select is(
  (select count(*) from public.push_outbox where type = 'read.updated' and payload ->> 'conversationId' = current_setting('test.direct') and payload ? 'to'),
  0::bigint, 'a direct read push has no `to` (both participants, as before)'
);

-- anon: nothing.
set local role anon;
set local request.jwt.claims = '{"role": "anon"}';
select throws_ok($$ select * from public.conversation_members $$, '42501', null, 'anon cannot read conversation_members');
select throws_ok(
  $$ select public.create_group('x', array['00000000-0000-4000-8000-0000000001a2'::uuid, '00000000-0000-4000-8000-0000000001a3']) $$,
  '42501', null, 'anon cannot create a group'
);
select throws_ok($$ select public.get_conversation(gen_random_uuid()) $$, '42501', null, 'anon cannot get a conversation');
select throws_ok($$ select public.my_conversation_ids() $$, '42501', null, 'anon cannot call my_conversation_ids');

select * from finish();
rollback;
