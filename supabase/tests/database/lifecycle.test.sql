-- The message lifecycle as Supabase runs it (every call as `authenticated` with the JWT's claims):
-- replies, edits, deletions (tombstones), reactions, and the change stream that orders them.
-- Ann and Bob talk directly; Ann, Bob and Dan share a group until Ann removes Dan (a former
-- member); Cat is a stranger. Every refusal: non-member, someone else's message, deleted message.
begin;
select plan(85);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000016a1', 'ann@life.example'),
  ('00000000-0000-4000-8000-0000000016b1', 'bob@life.example'),
  ('00000000-0000-4000-8000-0000000016c1', 'cat@life.example'),
  ('00000000-0000-4000-8000-0000000016d1', 'dan@life.example');

-- pg_temp: gone with the session, and never one of the functions in public.
create function pg_temp.refusal(p_sql text)
returns jsonb
language plpgsql
as $$
declare
  v_state text;
  v_hint text;
begin
  execute p_sql;
  return '{"code": "ok"}';
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_hint = pg_exception_hint;
  return jsonb_strip_nulls(jsonb_build_object('code', v_state, 'hint', nullif(v_hint, '')));
end;
$$;

create function pg_temp.last_pos(p_conversation uuid)
returns bigint
language sql
as $$ select last_pos from public.conversations where id = p_conversation $$;

set local role authenticated;

-- ---------------------------------------------------------------------------------------------
-- Sending: positions, replies

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016a1", "role": "authenticated"}';
select is(
  (select (seq, pos, reply_to, reactions, attachments, edited_at, deleted_at)::text
   from public.send_message('00000000-0000-4000-8000-0000000016b1', 'first', '00000000-0000-4000-8000-0000000016f1')),
  (1::bigint, 1::bigint, null::jsonb, '[]'::jsonb, '[]'::jsonb, null::timestamptz, null::timestamptz)::text,
  'a new message takes pos 1 with no reply, reactions or attachments'
);
select set_config('test.m1', (select id::text from public.get_sent_message('00000000-0000-4000-8000-0000000016f1')), true);
select set_config('test.direct', (select conversation_id::text from public.get_sent_message('00000000-0000-4000-8000-0000000016f1')), true);

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016b1", "role": "authenticated"}';
select is(
  (select (pos, reply_to ->> 'id', reply_to ->> 'excerpt', reply_to ->> 'deleted', reply_to ->> 'senderId')::text
   from public.send_message('00000000-0000-4000-8000-0000000016a1', 'a reply', '00000000-0000-4000-8000-0000000016f2',
                            p_reply_to_id => current_setting('test.m1')::uuid)),
  (2::bigint, current_setting('test.m1'), 'first', 'false', '00000000-0000-4000-8000-0000000016a1')::text,
  'bob replies to ann''s message: the reply carries its quote'
);
select set_config('test.m2', (select id::text from public.get_sent_message('00000000-0000-4000-8000-0000000016f2')), true);
select is(
  (select created from public.send_message('00000000-0000-4000-8000-0000000016a1', 'a reply', '00000000-0000-4000-8000-0000000016f2',
                                           p_reply_to_id => current_setting('test.m1')::uuid)),
  false,
  'the same send again (same reply) is a repeat'
);
select is(
  pg_temp.refusal($$ select public.send_message('00000000-0000-4000-8000-0000000016a1', 'a reply', '00000000-0000-4000-8000-0000000016f2') $$),
  '{"code": "PT409", "hint": "client_id_conflict"}'::jsonb,
  'the same clientId without the reply is a conflict'
);

-- The group: Ann, Bob and Dan.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016a1", "role": "authenticated"}';
select set_config('test.group', (select conversation_id::text from public.create_group('Life',
  array['00000000-0000-4000-8000-0000000016b1'::uuid, '00000000-0000-4000-8000-0000000016d1'])), true);
select is(
  (select (seq, pos)::text from public.get_messages(p_conversation_id => current_setting('test.group')::uuid)),
  (1::bigint, 1::bigint)::text,
  'a group''s system message takes its pos like any message'
);
select set_config('test.sys', (select id::text from public.get_messages(p_conversation_id => current_setting('test.group')::uuid)), true);
select is(
  pg_temp.refusal($$ select public.send_message(p_conversation_id => current_setting('test.group')::uuid, p_content => 'quote',
                       p_client_id => gen_random_uuid(), p_reply_to_id => current_setting('test.m1')::uuid) $$),
  '{"code": "PT422", "hint": "invalid_reply"}'::jsonb,
  'a reply to a message of another conversation is invalid_reply'
);
select is(
  pg_temp.refusal($$ select public.send_message('00000000-0000-4000-8000-0000000016c1', 'quote', gen_random_uuid(),
                       p_reply_to_id => current_setting('test.m1')::uuid) $$),
  '{"code": "PT422", "hint": "invalid_reply"}'::jsonb,
  'a reply in a conversation that does not exist yet is invalid_reply'
);
select is(
  pg_temp.refusal($$ select public.send_message(p_conversation_id => current_setting('test.group')::uuid, p_content => 'quote',
                       p_client_id => gen_random_uuid(), p_reply_to_id => gen_random_uuid()) $$),
  '{"code": "PT422", "hint": "invalid_reply"}'::jsonb,
  'a reply to no message is invalid_reply'
);
select is(
  (select count(*) from public.messages where reply_to_id is not null), 1::bigint, 'refused replies store nothing'
);
select is(
  (select pos from public.send_message(p_conversation_id => current_setting('test.group')::uuid, p_content => 'hello group',
                                       p_client_id => '00000000-0000-4000-8000-0000000016f3')),
  2::bigint,
  'a group message takes the next pos'
);
select set_config('test.g1', (select id::text from public.get_sent_message('00000000-0000-4000-8000-0000000016f3')), true);

-- ---------------------------------------------------------------------------------------------
-- Edits

select is(
  (select (content, edited_at is not null, pos)::text from public.edit_message(current_setting('test.m1')::uuid, '  first, edited  ')),
  ('first, edited', true, 1::bigint)::text,
  'ann edits her message: trimmed, marked edited, its pos unchanged'
);
select is(pg_temp.last_pos(current_setting('test.direct')::uuid), 3::bigint, 'the edit took the next position');
select is(
  (select reply_to ->> 'excerpt' from public.get_messages('00000000-0000-4000-8000-0000000016b1', 50) where id = current_setting('test.m2')::uuid),
  'first, edited',
  'a reply quotes the message as it is now'
);
select lives_ok(
  $$ select public.edit_message(current_setting('test.m1')::uuid, 'first, edited') $$,
  'the same text again is accepted'
);
select is(pg_temp.last_pos(current_setting('test.direct')::uuid), 3::bigint, '... and records no change');
select is(
  pg_temp.refusal($$ select public.edit_message(current_setting('test.m1')::uuid, E'\u200b') $$),
  '{"code": "PT422", "hint": "validation_failed"}'::jsonb,
  'an edit follows the content rules of sending'
);
select is(
  pg_temp.refusal($$ select public.edit_message(current_setting('test.m2')::uuid, 'not mine') $$),
  '{"code": "PT403", "hint": "not_your_message"}'::jsonb,
  'ann cannot edit bob''s message'
);
select is(
  pg_temp.refusal($$ select public.edit_message(current_setting('test.sys')::uuid, 'renamed?') $$),
  '{"code": "PT403", "hint": "not_your_message"}'::jsonb,
  'nobody edits a system message, not even its actor'
);
select is(
  pg_temp.refusal($$ select public.edit_message(gen_random_uuid(), 'nothing') $$),
  '{"code": "PT404", "hint": "message_not_found"}'::jsonb,
  'an unknown message is message_not_found'
);
set local chat.edit_window_seconds = '0';
select is(
  pg_temp.refusal($$ select public.edit_message(current_setting('test.m1')::uuid, 'too late') $$),
  '{"code": "PT422", "hint": "edit_window_closed"}'::jsonb,
  'past the edit window an edit is edit_window_closed'
);
set local chat.edit_window_seconds = '';

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016c1", "role": "authenticated"}';
select is(
  pg_temp.refusal($$ select public.edit_message(current_setting('test.m1')::uuid, 'hijack') $$),
  '{"code": "PT404", "hint": "message_not_found"}'::jsonb,
  'a stranger cannot edit: the message does not exist for them'
);

-- ---------------------------------------------------------------------------------------------
-- Reactions

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016b1", "role": "authenticated"}';
select is(
  (select reactions from public.add_reaction(current_setting('test.m1')::uuid, '👍')),
  '[{"emoji": "👍", "count": 1, "userIds": ["00000000-0000-4000-8000-0000000016b1"]}]'::jsonb,
  'bob reacts to ann''s message'
);
select is(
  (select reactions from public.add_reaction(current_setting('test.m1')::uuid, '👍')),
  '[{"emoji": "👍", "count": 1, "userIds": ["00000000-0000-4000-8000-0000000016b1"]}]'::jsonb,
  'the same reaction again changes nothing'
);
select is(pg_temp.last_pos(current_setting('test.direct')::uuid), 4::bigint, '... and records one change only');
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016a1", "role": "authenticated"}';
select is(
  (select reactions from public.add_reaction(current_setting('test.m1')::uuid, '🎉')),
  '[{"emoji": "👍", "count": 1, "userIds": ["00000000-0000-4000-8000-0000000016b1"]},
    {"emoji": "🎉", "count": 1, "userIds": ["00000000-0000-4000-8000-0000000016a1"]}]'::jsonb,
  'ann reacts to her own message: emoji in the order first used'
);
select is(
  (select reactions from public.add_reaction(current_setting('test.m1')::uuid, '👍')),
  '[{"emoji": "👍", "count": 2, "userIds": ["00000000-0000-4000-8000-0000000016b1", "00000000-0000-4000-8000-0000000016a1"]},
    {"emoji": "🎉", "count": 1, "userIds": ["00000000-0000-4000-8000-0000000016a1"]}]'::jsonb,
  'a second 👍: counted, who in reaction order'
);
select is(
  (select reactions from public.remove_reaction(current_setting('test.m1')::uuid, '🎉')),
  '[{"emoji": "👍", "count": 2, "userIds": ["00000000-0000-4000-8000-0000000016b1", "00000000-0000-4000-8000-0000000016a1"]}]'::jsonb,
  'ann takes her 🎉 back'
);
select lives_ok(
  $$ select public.remove_reaction(current_setting('test.m1')::uuid, '🎉') $$,
  'taking it back again is accepted'
);
select is(pg_temp.last_pos(current_setting('test.direct')::uuid), 7::bigint, '... and records no change');
select is(
  pg_temp.refusal($$ select public.add_reaction(current_setting('test.m1')::uuid, 'ok') $$),
  '{"code": "PT422", "hint": "validation_failed"}'::jsonb,
  'a reaction is an emoji'
);
select is(
  pg_temp.refusal($$ select public.add_reaction(current_setting('test.m1')::uuid, '👍 👍') $$),
  '{"code": "PT422", "hint": "validation_failed"}'::jsonb,
  'a reaction is one emoji, without spaces'
);
select is(
  pg_temp.refusal($$ select public.add_reaction(current_setting('test.sys')::uuid, '👍') $$),
  '{"code": "PT422", "hint": "system_message"}'::jsonb,
  'a system message takes no reactions'
);
-- Twenty different emoji fill a message; the 21st is refused, a present one still counts.
do $$
declare
  v_emoji text;
begin
  foreach v_emoji in array array['😀','😁','😂','😃','😄','😅','😆','😇','😈','😉','😊','😋','😌','😍','😎','😏','😐','😑','😒','😓'] loop
    perform public.add_reaction(current_setting('test.g1')::uuid, v_emoji);
  end loop;
end $$;
select is(
  pg_temp.refusal($$ select public.add_reaction(current_setting('test.g1')::uuid, '😔') $$),
  '{"code": "PT422", "hint": "too_many_reactions"}'::jsonb,
  'the 21st different emoji on a message is too_many_reactions'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016b1", "role": "authenticated"}';
select is(
  (select (reactions -> 0 ->> 'count')::int from public.add_reaction(current_setting('test.g1')::uuid, '😀')),
  2,
  'another person may still add one of the twenty'
);

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016c1", "role": "authenticated"}';
select is(
  pg_temp.refusal($$ select public.add_reaction(current_setting('test.m1')::uuid, '👎') $$),
  '{"code": "PT404", "hint": "message_not_found"}'::jsonb,
  'a stranger cannot react'
);
select is(
  pg_temp.refusal($$ select public.remove_reaction(current_setting('test.m1')::uuid, '👍') $$),
  '{"code": "PT404", "hint": "message_not_found"}'::jsonb,
  'a stranger cannot take a reaction away'
);

-- ---------------------------------------------------------------------------------------------
-- Reading: members only

select is_empty($$ select * from public.message_reactions $$, 'a stranger reads no reactions');
select is_empty($$ select * from public.conversation_changes $$, 'a stranger reads no changes');
select is_empty($$ select * from public.message_details $$, 'a stranger reads no message details');
select is(
  pg_temp.refusal($$ select public.get_changes(p_conversation_id => current_setting('test.direct')::uuid) $$),
  '{"code": "PT404", "hint": "conversation_not_found"}'::jsonb,
  'a stranger gets no changes of the conversation'
);
select is(
  (select (changes, last_pos)::text from public.get_changes(p_peer_id => '00000000-0000-4000-8000-0000000016a1')),
  ('[]'::jsonb, 0::bigint)::text,
  'no conversation with that peer yet: no changes, position 0'
);
select is(public.reply_preview(current_setting('test.m1')::uuid), null, 'reply_preview shows a stranger nothing');
select is(public.message_json(current_setting('test.m1')::uuid), null, 'message_json shows a stranger nothing');
select is(public.reaction_summary(current_setting('test.m1')::uuid), '[]'::jsonb, 'reaction_summary shows a stranger nothing');

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016b1", "role": "authenticated"}';
select is(
  (select count(*) from public.message_reactions where message_id = current_setting('test.m1')::uuid), 2::bigint,
  'a member reads the reactions'
);
select is(
  public.message_attachments(current_setting('test.m1')::uuid), '[]'::jsonb, 'a message has no attachments (the attachments migration fills them)'
);
select is(
  (select array_agg(c ->> 'type' order by (c ->> 'pos')::int) from public.get_changes(p_conversation_id => current_setting('test.direct')::uuid),
   jsonb_array_elements(changes) c),
  array['message.created', 'message.created', 'message.edited', 'reaction.added', 'reaction.added', 'reaction.added', 'reaction.removed'],
  'the change stream: every change once, in order'
);
select is(
  (select (jsonb_array_length(changes), changes -> 0 ->> 'pos', changes -> 1 ->> 'pos', last_pos)::text
   from public.get_changes(p_peer_id => '00000000-0000-4000-8000-0000000016a1', p_after => 3, p_limit => 2)),
  (2, '4', '5', 7::bigint)::text,
  'a page after a position, limited, with the newest position'
);
select is(
  (select (c ->> 'emoji', c ->> 'actorId', c -> 'message' ->> 'content')::text
   from public.get_changes(p_conversation_id => current_setting('test.direct')::uuid, p_after => 6, p_limit => 1),
   jsonb_array_elements(changes) c),
  ('🎉', '00000000-0000-4000-8000-0000000016a1', 'first, edited')::text,
  'each change names its emoji and actor and carries the message as it is now'
);
select is(
  pg_temp.refusal($$ select public.get_changes() $$),
  '{"code": "PT422", "hint": "validation_failed"}'::jsonb,
  'get_changes names one conversation'
);
select is(
  (select last_pos from public.list_conversations(10) where conversation_id = current_setting('test.direct')::uuid),
  7::bigint,
  'the conversation list carries each conversation''s last position'
);

-- ---------------------------------------------------------------------------------------------
-- Deletion: a tombstone

select is(
  pg_temp.refusal($$ select public.delete_message(current_setting('test.m1')::uuid) $$),
  '{"code": "PT403", "hint": "not_your_message"}'::jsonb,
  'bob cannot delete ann''s message'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016c1", "role": "authenticated"}';
select is(
  pg_temp.refusal($$ select public.delete_message(current_setting('test.m1')::uuid) $$),
  '{"code": "PT404", "hint": "message_not_found"}'::jsonb,
  'a stranger cannot delete it'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016a1", "role": "authenticated"}';
select is(
  pg_temp.refusal($$ select public.delete_message(current_setting('test.sys')::uuid) $$),
  '{"code": "PT403", "hint": "not_your_message"}'::jsonb,
  'nobody deletes a system message'
);
select is(
  (select (content, deleted_at is not null, reactions, pos)::text from public.delete_message(current_setting('test.m1')::uuid)),
  ('', true, '[]'::jsonb, 1::bigint)::text,
  'ann deletes her message: no content, no reactions, its place kept'
);
select is(
  (select count(*) from public.message_reactions where message_id = current_setting('test.m1')::uuid), 0::bigint,
  'its reactions are gone from the table'
);
select is(pg_temp.last_pos(current_setting('test.direct')::uuid), 8::bigint, 'the deletion took the next position');
select lives_ok($$ select public.delete_message(current_setting('test.m1')::uuid) $$, 'deleting it again is accepted');
select is(pg_temp.last_pos(current_setting('test.direct')::uuid), 8::bigint, '... and records no change');
select is(
  pg_temp.refusal($$ select public.edit_message(current_setting('test.m1')::uuid, 'back') $$),
  '{"code": "PT409", "hint": "message_deleted"}'::jsonb,
  'a deleted message cannot be edited'
);
select is(
  pg_temp.refusal($$ select public.add_reaction(current_setting('test.m1')::uuid, '👍') $$),
  '{"code": "PT409", "hint": "message_deleted"}'::jsonb,
  'a deleted message takes no reactions'
);
select is(
  pg_temp.refusal($$ select public.remove_reaction(current_setting('test.m1')::uuid, '👍') $$),
  '{"code": "PT409", "hint": "message_deleted"}'::jsonb,
  '... nor loses any'
);
select is(
  (select reply_to from public.get_messages('00000000-0000-4000-8000-0000000016b1', 50) where id = current_setting('test.m2')::uuid),
  jsonb_build_object('id', current_setting('test.m1'), 'senderId', '00000000-0000-4000-8000-0000000016a1', 'excerpt', '',
                     'attachmentCount', 0, 'deleted', true),
  'a reply to it shows that it was deleted, without its text'
);
select is(
  (select pos from public.send_message('00000000-0000-4000-8000-0000000016b1', 'replying to a ghost', gen_random_uuid(),
                                       p_reply_to_id => current_setting('test.m1')::uuid)),
  9::bigint,
  'a deleted message may still be replied to'
);
select is(
  (select count(*) from public.get_changes(p_conversation_id => current_setting('test.direct')::uuid), jsonb_array_elements(changes) c
   where c -> 'message' ->> 'id' = current_setting('test.m1') and c -> 'message' ->> 'content' <> ''),
  0::bigint,
  'the change stream never serves a deleted message''s text, not even in its earlier changes'
);
select is(
  (select created from public.send_message('00000000-0000-4000-8000-0000000016b1', 'first', '00000000-0000-4000-8000-0000000016f1')),
  false,
  'a retry of a deleted message''s send is a repeat, not a new message'
);

-- ---------------------------------------------------------------------------------------------
-- Former members: Ann removes Dan.

select lives_ok(
  $$ select public.remove_member(current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000016d1') $$,
  'ann removes dan from the group'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016d1", "role": "authenticated"}';
select is(
  pg_temp.refusal($$ select public.add_reaction(current_setting('test.g1')::uuid, '😀') $$),
  '{"code": "PT404", "hint": "message_not_found"}'::jsonb,
  'a former member cannot react'
);
select is(
  pg_temp.refusal($$ select public.get_changes(p_conversation_id => current_setting('test.group')::uuid) $$),
  '{"code": "PT404", "hint": "conversation_not_found"}'::jsonb,
  'a former member gets no changes'
);
select is_empty($$ select * from public.conversation_changes $$, 'a former member reads no changes');

-- ---------------------------------------------------------------------------------------------
-- Nobody writes the tables directly; anon calls nothing.

select throws_ok(
  $$ insert into public.message_reactions (message_id, conversation_id, user_id, emoji)
     values (current_setting('test.g1')::uuid, current_setting('test.group')::uuid, '00000000-0000-4000-8000-0000000016d1', '👍') $$,
  '42501', null, 'a user cannot insert a reaction directly'
);
select throws_ok(
  $$ insert into public.conversation_changes (conversation_id, pos, type, message_id, actor_id)
     values (current_setting('test.group')::uuid, 999, 'message.edited', current_setting('test.g1')::uuid, '00000000-0000-4000-8000-0000000016d1') $$,
  '42501', null, 'a user cannot write the change stream'
);
select throws_ok(
  $$ update public.messages set content = 'forged' where id = current_setting('test.g1')::uuid $$,
  '42501', null, 'a user cannot edit a message directly'
);
reset role;
set local role anon;
select throws_ok($$ select public.edit_message(gen_random_uuid(), 'x') $$, '42501', null, 'anon cannot edit');
select throws_ok($$ select public.get_changes(p_peer_id => gen_random_uuid()) $$, '42501', null, 'anon cannot read changes');
reset role;

-- ---------------------------------------------------------------------------------------------
-- Pushes: one `message.changed` per change, in the change's transaction; a group's name `to`.

select is(
  (select array_agg(push_id order by id) from public.push_outbox where type = 'message.changed' and payload ->> 'conversationId' = current_setting('test.direct')),
  array(select 'chg_' || current_setting('test.direct') || '_' || p from unnest(array[3, 4, 5, 6, 7, 8]) p),
  'every change of the direct conversation wrote one message.changed push, chg_<conversation>_<pos>'
);
select is(
  (select payload - 'message' - 'at' from public.push_outbox where push_id = 'chg_' || current_setting('test.direct') || '_8'),
  jsonb_build_object('conversationId', current_setting('test.direct'), 'pos', 8, 'type', 'message.deleted',
                     'actorId', '00000000-0000-4000-8000-0000000016a1', 'emoji', null),
  'a deletion''s push: the change, without `to` in a direct conversation'
);
select is(
  (select (payload -> 'message' ->> 'content', payload -> 'message' ->> 'deletedAt' is not null, user_id::text)::text
   from public.push_outbox where push_id = 'chg_' || current_setting('test.direct') || '_8'),
  ('', true, '00000000-0000-4000-8000-0000000016a1')::text,
  '... with the tombstone, as the actor''s change'
);
select is(
  (select payload -> 'to' from public.push_outbox
   where type = 'message.changed' and payload ->> 'conversationId' = current_setting('test.group') order by id limit 1),
  '["00000000-0000-4000-8000-0000000016a1", "00000000-0000-4000-8000-0000000016b1", "00000000-0000-4000-8000-0000000016d1"]'::jsonb,
  'a group''s change names its members at that commit'
);
select is(
  (select pos from public.messages where id = current_setting('test.m2')::uuid), 2::bigint, 'a message keeps the pos of its creation'
);

-- ---------------------------------------------------------------------------------------------
-- The history page as the API sends it: get_messages' rows, in the wire shape of the pushes.

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000016a1", "role": "authenticated"}';
select is(
  (select messages::jsonb from public.get_messages_page('00000000-0000-4000-8000-0000000016b1', 50)),
  (select jsonb_agg(public.message_json(m.id) order by m.seq) from public.get_messages('00000000-0000-4000-8000-0000000016b1', 50) m),
  'get_messages_page: each message exactly as message_json gives it (edited, deleted, reacted to, replying)'
);
select is(
  (select messages::jsonb from public.get_messages_page(p_conversation_id => current_setting('test.group')::uuid)),
  (select jsonb_agg(public.message_json(m.id) order by m.seq)
   from public.get_messages(p_conversation_id => current_setting('test.group')::uuid) m),
  'and a group''s page, its system messages included'
);
select results_eq(
  $$ select message_count, first_id from public.get_messages_page('00000000-0000-4000-8000-0000000016b1', 2) $$,
  $$ select 2, (select m.id from public.get_messages('00000000-0000-4000-8000-0000000016b1', 2) m order by m.seq limit 1) $$,
  'with its row count and its oldest message''s id'
);
select results_eq(
  $$ select messages, message_count, first_id from public.get_messages_page('00000000-0000-4000-8000-0000000016c1', 50) $$,
  $$ values ('[]'::text, 0, null::uuid) $$,
  'no conversation yet: an empty page'
);
select is(
  pg_temp.refusal($$ select public.get_messages_page(p_conversation_id => current_setting('test.group')::uuid, p_before => gen_random_uuid()) $$),
  '{"code": "22023"}'::jsonb,
  'a cursor from elsewhere: 22023, as get_messages'
);
reset role;

select * from finish();
rollback;
