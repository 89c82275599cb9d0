-- The embedded mode's own magic-link issuer and sessions (Supabase Auth does this in Supabase
-- mode). Only the server's owner role touches these tables.
create schema if not exists embedded_auth;
revoke all on schema embedded_auth from public;

create table if not exists embedded_auth.one_time_tokens (
  token_hash text primary key,
  email text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);
create index if not exists one_time_tokens_expires_idx on embedded_auth.one_time_tokens (expires_at);

create table if not exists embedded_auth.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index if not exists sessions_user_idx on embedded_auth.sessions (user_id);

create table if not exists embedded_auth.dev_mailbox (
  id bigint generated always as identity primary key,
  recipient text not null,
  subject text not null,
  body text not null,
  link text not null,
  sent_at timestamptz not null default now()
);
create index if not exists dev_mailbox_recipient_idx on embedded_auth.dev_mailbox (recipient, id desc);
