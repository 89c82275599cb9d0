-- What a caller gets back from each refusal: SQLSTATE PT<http status> (PostgREST answers with
-- that status), the API's error code in HINT and extra data in DETAIL (the field, or the
-- seconds to wait). Both stores translate exactly these (web/server/store/sql/errors.ts);
-- throws_ok sees only the SQLSTATE and message, so a small helper reads the rest.
begin;
select plan(8);

-- pg_temp: gone with the session, and never one of the functions in public.
create function pg_temp.refusal(p_sql text)
returns jsonb
language plpgsql
as $$
declare
  v_state text;
  v_detail text;
  v_hint text;
begin
  execute p_sql;
  return '{"code": "ok"}';
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_detail = pg_exception_detail, v_hint = pg_exception_hint;
  return jsonb_strip_nulls(jsonb_build_object('code', v_state, 'detail', nullif(v_detail, ''), 'hint', nullif(v_hint, '')));
end;
$$;

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000a002', 'ann@errors.example'),
  ('00000000-0000-4000-8000-00000000b002', 'ben@errors.example');

set local role authenticated;
set local request.jwt.claims = '{"role": "authenticated"}';
select is(
  pg_temp.refusal($$ select public.send_message('00000000-0000-4000-8000-00000000b002', 'hi', gen_random_uuid()) $$),
  '{"code": "PT401", "hint": "unauthorized"}'::jsonb,
  'no signed-in user: PT401 unauthorized'
);

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000a002", "role": "authenticated"}';
select is(
  pg_temp.refusal($$ select public.send_message('00000000-0000-4000-8000-00000000b002', E'\u200b', gen_random_uuid()) $$),
  '{"code": "PT422", "detail": "content", "hint": "validation_failed"}'::jsonb,
  'invalid content: PT422 validation_failed on the field content'
);
select is(
  pg_temp.refusal($$ select public.update_profile(E'Ann\n') $$),
  '{"code": "PT422", "detail": "displayName", "hint": "validation_failed"}'::jsonb,
  'an invalid display name: PT422 validation_failed on the field displayName'
);
select is(
  pg_temp.refusal($$ select public.send_message('00000000-0000-4000-8000-00000000a002', 'me', gen_random_uuid()) $$),
  '{"code": "PT400", "hint": "cannot_message_self"}'::jsonb,
  'a message to oneself: PT400 cannot_message_self'
);

select lives_ok(
  $$ select public.send_message('00000000-0000-4000-8000-00000000b002', 'hello', '00000000-0000-4000-8000-0000000c1d02') $$,
  'ann sends'
);
select is(
  pg_temp.refusal($$ select public.send_message('00000000-0000-4000-8000-00000000b002', 'other', '00000000-0000-4000-8000-0000000c1d02') $$),
  '{"code": "PT409", "hint": "client_id_conflict"}'::jsonb,
  'a reused client id: PT409 client_id_conflict'
);

-- One send per 10 s: the next waits until the first leaves the window.
set local chat.send_limit = '1/10';
do $$ begin
  perform set_config('test.limited',
    pg_temp.refusal($q$ select public.send_message('00000000-0000-4000-8000-00000000b002', 'again', gen_random_uuid()) $q$)::text, true);
end $$;
select is(
  current_setting('test.limited')::jsonb - 'detail',
  '{"code": "PT429", "hint": "rate_limited"}'::jsonb,
  'over the send limit: PT429 rate_limited'
);
select ok(
  (current_setting('test.limited')::jsonb ->> 'detail')::int between 1 and 10,
  'its detail is the seconds to wait, 1..10'
);

select * from finish();
rollback;
