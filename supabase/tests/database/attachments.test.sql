-- Attachments as Supabase applies them: Alice and Bob share a conversation, Carol is a stranger.
-- The rows and the Storage objects (storage.objects, with the attachments migration's policies)
-- are readable by members only, an unsent upload by its uploader only; the limits are the SQL's.
begin;
select plan(18);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-0000000a11ce', 'alice@files.example'),
  ('00000000-0000-4000-8000-00000000b0b0', 'bob@files.example'),
  ('00000000-0000-4000-8000-0000000ca201', 'carol@files.example');

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000a11ce", "role": "authenticated"}';
select lives_ok(
  $$ select set_config('test.attachment_id',
       (select id::text from public.create_attachment(p_peer_id => '00000000-0000-4000-8000-00000000b0b0', p_name => 'cat.png', p_size => 100)),
       true) $$,
  'alice starts an upload to bob (the direct conversation is made)'
);
select results_eq(
  $$ select status, storage_key like '%/' || id || '/original' from public.get_attachment(current_setting('test.attachment_id')::uuid) $$,
  $$ values ('pending'::text, true) $$,
  'the upload is pending, keyed by conversation and id'
);
select throws_ok(
  $$ select public.create_attachment(p_peer_id => '00000000-0000-4000-8000-00000000b0b0', p_name => 'big.bin', p_size => 26214401) $$,
  'PT413', null, 'over attachment_max_bytes: attachment_too_large'
);
select throws_ok(
  $$ select public.create_attachment(p_peer_id => '00000000-0000-4000-8000-00000000b0b0', p_name => '../x', p_size => 1) $$,
  'PT422', null, 'a name with a path separator is refused'
);
-- Storage: alice may write her pending object, as the signed upload URL does.
select lives_ok(
  $$ insert into storage.objects (bucket_id, name)
     select 'attachments', storage_key from public.get_attachment(current_setting('test.attachment_id')::uuid) $$,
  'the uploader writes the pending object'
);
select lives_ok(
  $$ select public.complete_attachment(current_setting('test.attachment_id')::uuid, 'image/png', 100, 'image', 4, 3) $$,
  'the uploader completes it'
);

-- Before it is sent: Bob sees neither the row nor the object.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b0b0", "role": "authenticated"}';
select is_empty($$ select * from public.get_attachment(current_setting('test.attachment_id')::uuid) $$, 'an unsent upload is the uploader''s own');
select is_empty($$ select * from storage.objects where bucket_id = 'attachments' $$, 'nor its object');

-- Carol cannot write into their conversation's folder, nor send Alice's upload.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000ca201", "role": "authenticated"}';
select throws_ok(
  $$ insert into storage.objects (bucket_id, name)
     values ('attachments', (select storage_key from public.attachments limit 1)) $$,
  '42501', null, 'a stranger cannot write an attachment object'
);
select throws_ok(
  $$ select public.send_message(p_recipient_id => '00000000-0000-4000-8000-0000000a11ce', p_client_id => gen_random_uuid(),
       p_attachment_ids => array[current_setting('test.attachment_id')::uuid]) $$,
  'PT422', null, 'nobody sends someone else''s upload: invalid_attachments'
);

-- Alice sends it without text; then Bob reads both, Carol neither.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000a11ce", "role": "authenticated"}';
select throws_ok(
  $$ select public.send_message(p_recipient_id => '00000000-0000-4000-8000-00000000b0b0', p_client_id => gen_random_uuid(),
       p_attachment_ids => array_fill(gen_random_uuid(), array[11])) $$,
  'PT422', null, 'eleven attachments: too_many_attachments'
);
select results_eq(
  $$ select content, jsonb_array_length(attachments) from public.send_message(
       p_recipient_id => '00000000-0000-4000-8000-00000000b0b0', p_client_id => '00000000-0000-4000-8000-00000000c1d0',
       p_attachment_ids => array[current_setting('test.attachment_id')::uuid]) $$,
  $$ values (''::text, 1) $$,
  'a message with an attachment and no text'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000b0b0", "role": "authenticated"}';
select results_eq(
  $$ select name, kind, width, height from public.get_attachment(current_setting('test.attachment_id')::uuid) $$,
  $$ values ('cat.png'::text, 'image'::text, 4, 3) $$,
  'the peer reads the sent attachment'
);
select results_eq(
  $$ select count(*) from storage.objects where bucket_id = 'attachments' $$, $$ values (1::bigint) $$,
  'and its object'
);
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000ca201", "role": "authenticated"}';
select is_empty($$ select * from public.attachments $$, 'a stranger reads no attachment row');
select is_empty($$ select * from storage.objects where bucket_id = 'attachments' $$, 'nor any object, even by listing');

-- Deleted: nobody reads it any more, and the sweep (service role) claims its files.
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-0000000a11ce", "role": "authenticated"}';
select public.delete_message(m.id) from public.messages m where m.client_id = '00000000-0000-4000-8000-00000000c1d0';
select is_empty($$ select * from public.get_attachment(current_setting('test.attachment_id')::uuid) $$, 'a deleted message''s file is gone for its sender too');
reset role;
set local role service_role;
do $$ begin perform set_config('test.swept', (select string_agg(id::text, ',') from public.claim_attachment_sweep(100)), true); end $$;
reset role;
select is(current_setting('test.swept'), current_setting('test.attachment_id'), 'the sweep (service role) claims the deleted message''s attachment');

select * from finish();
rollback;
