-- Demo data: four people who already talk to each other, so a newcomer opens a populated chat.
-- Run by `supabase db reset` / `supabase start` (config.toml [db.seed]) and by `npm run seed`
-- (the embedded database, or DATABASE_URL). Idempotent: fixed ids, and a message's
-- (sender, client_id) is unique, so running it again adds nothing.
-- Sign in as any of these addresses: the magic link lands in the dev mailbox (or Inbucket).

do $$
declare
  v_users constant jsonb := '[
    {"id": "5eed0000-0000-4000-8000-00000000a001", "email": "ann@example.com", "name": "Ann Lee"},
    {"id": "5eed0000-0000-4000-8000-00000000a002", "email": "ben@example.com", "name": "Ben Ortiz"},
    {"id": "5eed0000-0000-4000-8000-00000000a003", "email": "cara@example.com", "name": "Cara Novak"},
    {"id": "5eed0000-0000-4000-8000-00000000a004", "email": "dev@example.com", "name": null}
  ]';
  v_user jsonb;
  -- Supabase's auth.users has more columns than the shim's; fill them only where they exist.
  v_supabase boolean := exists (
    select 1 from information_schema.columns
    where table_schema = 'auth' and table_name = 'users' and column_name = 'email_confirmed_at'
  );
  v_identities boolean := to_regclass('auth.identities') is not null;
begin
  for v_user in select * from jsonb_array_elements(v_users) loop
    if v_supabase then
      execute $sql$
        insert into auth.users (instance_id, id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
        values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, now(),
                '{"provider": "email", "providers": ["email"]}', '{}', now(), now())
        on conflict (id) do nothing
      $sql$ using (v_user ->> 'id')::uuid, v_user ->> 'email';
    else
      insert into auth.users (id, email) values ((v_user ->> 'id')::uuid, v_user ->> 'email') on conflict (id) do nothing;
    end if;
    if v_identities then
      execute $sql$
        insert into auth.identities (id, user_id, provider_id, provider, identity_data, last_sign_in_at, created_at, updated_at)
        values (gen_random_uuid(), $1, $1::text, 'email', jsonb_build_object('sub', $1::text, 'email', $2, 'email_verified', true), now(), now(), now())
        on conflict do nothing
      $sql$ using (v_user ->> 'id')::uuid, v_user ->> 'email';
    end if;
    -- The on_auth_user_created trigger made the profile; give it the demo name.
    update public.profiles set display_name = v_user ->> 'name'
    where id = (v_user ->> 'id')::uuid and display_name is distinct from v_user ->> 'name';
  end loop;
end
$$;

-- Messages, oldest first, through the same trigger that gives every message its position.
insert into public.messages (sender_id, recipient_id, content, client_id)
select m.sender_id, m.recipient_id, m.content, m.client_id
from (values
  ('5eed0000-0000-4000-8000-00000000a001'::uuid, '5eed0000-0000-4000-8000-00000000a002'::uuid, 'Hi Ben! Did the deploy go out?', '5eed0000-0000-4000-8000-00000000c001'::uuid, 1),
  ('5eed0000-0000-4000-8000-00000000a002', '5eed0000-0000-4000-8000-00000000a001', 'It did, about ten minutes ago. Socket server first, then the web app.', '5eed0000-0000-4000-8000-00000000c002', 2),
  ('5eed0000-0000-4000-8000-00000000a001', '5eed0000-0000-4000-8000-00000000a002', 'Nice. Any errors in the logs?', '5eed0000-0000-4000-8000-00000000c003', 3),
  ('5eed0000-0000-4000-8000-00000000a002', '5eed0000-0000-4000-8000-00000000a001', 'None so far. Messages are flowing 🎉', '5eed0000-0000-4000-8000-00000000c004', 4),
  ('5eed0000-0000-4000-8000-00000000a003', '5eed0000-0000-4000-8000-00000000a001', 'Ann, can you review my pull request today?', '5eed0000-0000-4000-8000-00000000c005', 5),
  ('5eed0000-0000-4000-8000-00000000a001', '5eed0000-0000-4000-8000-00000000a003', 'Sure, after lunch.', '5eed0000-0000-4000-8000-00000000c006', 6),
  ('5eed0000-0000-4000-8000-00000000a003', '5eed0000-0000-4000-8000-00000000a001', 'Thanks! It is the one about read receipts.', '5eed0000-0000-4000-8000-00000000c007', 7),
  ('5eed0000-0000-4000-8000-00000000a004', '5eed0000-0000-4000-8000-00000000a001', 'Welcome to the demo. Everything here was put in by supabase/seed.sql.', '5eed0000-0000-4000-8000-00000000c008', 8),
  ('5eed0000-0000-4000-8000-00000000a002', '5eed0000-0000-4000-8000-00000000a003', 'Lunch at noon?', '5eed0000-0000-4000-8000-00000000c009', 9)
) as m (sender_id, recipient_id, content, client_id, ord)
order by m.ord
on conflict on constraint messages_sender_client_key do nothing;

-- Spread the demo over the last hour (the trigger stamps every insert with now()).
update public.messages m
set created_at = now() - make_interval(mins => 60 - s.ord * 6)
from (values
  ('5eed0000-0000-4000-8000-00000000c001'::uuid, 1), ('5eed0000-0000-4000-8000-00000000c002', 2),
  ('5eed0000-0000-4000-8000-00000000c003', 3), ('5eed0000-0000-4000-8000-00000000c004', 4),
  ('5eed0000-0000-4000-8000-00000000c005', 5), ('5eed0000-0000-4000-8000-00000000c006', 6),
  ('5eed0000-0000-4000-8000-00000000c007', 7), ('5eed0000-0000-4000-8000-00000000c008', 8),
  ('5eed0000-0000-4000-8000-00000000c009', 9)
) as s (client_id, ord)
where m.client_id = s.client_id and m.sender_id::text like '5eed0000-%';
update public.conversations c
set last_message_at = (select max(m.created_at) from public.messages m where m.conversation_id = c.id)
where c.user_a::text like '5eed0000-%' and c.user_b::text like '5eed0000-%';

-- Ann has read her conversation with Ben, not yet Cara's last message or Dev's welcome.
insert into public.conversation_reads (conversation_id, user_id, last_read_seq)
select c.id, r.user_id, r.seq
from (values
  ('5eed0000-0000-4000-8000-00000000a001'::uuid, '5eed0000-0000-4000-8000-00000000a002'::uuid, 4),
  ('5eed0000-0000-4000-8000-00000000a002', '5eed0000-0000-4000-8000-00000000a001', 3),
  ('5eed0000-0000-4000-8000-00000000a001', '5eed0000-0000-4000-8000-00000000a003', 2),
  ('5eed0000-0000-4000-8000-00000000a003', '5eed0000-0000-4000-8000-00000000a001', 3)
) as r (user_id, peer_id, seq)
join public.conversations c on c.user_a = least(r.user_id, r.peer_id) and c.user_b = greatest(r.user_id, r.peer_id)
on conflict (conversation_id, user_id) do nothing;
