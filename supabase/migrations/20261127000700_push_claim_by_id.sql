-- The request path's claim: the rows its own transaction just wrote, named by push id (a lookup
-- on the unique index). The general claim (claim_pushes_internal) looks for anything due, drops
-- what is past the max age and orders each user's rows; it stays the sweep's, and the dispatcher
-- falls back to it for any named row this claim leaves.
--
-- A named row is left when it is leased or in backoff, or when an older row of its user is not
-- leased (pending, or waiting for its backoff): that one goes first, through the general claim,
-- so a user's pushes still leave in commit order.
create function public.claim_pushes_by_id_internal(p_push_ids text[], p_lease_seconds integer, p_user uuid)
returns table (id bigint, push_id text, type text, payload jsonb, attempts integer, created_at timestamptz, expired boolean)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  -- PL/pgSQL keeps the plan for the session (a SQL function with a SET clause is planned per call).
  return query
  with claimed as (
    update public.push_outbox o
    set locked_until = now() + make_interval(secs => least(greatest(p_lease_seconds, 1), 600)), attempts = o.attempts + 1
    where o.id in (
      select x.id from public.push_outbox x
      where x.push_id = any (p_push_ids[1:1000])
        and (p_user is null or x.user_id = p_user)
        and (x.locked_until is null or x.locked_until <= now())
        and x.next_attempt_at <= now()
        and not exists (
          select 1 from public.push_outbox h
          where h.user_id = x.user_id and h.id < x.id and (h.locked_until is null or h.locked_until <= now())
        )
      order by x.id
      for update skip locked
    )
    returning o.id, o.push_id, o.type, o.payload, o.attempts, o.created_at, false as expired
  )
  select * from claimed order by 1;
end;
$$;

-- The sweep's connection (embedded, DATABASE_URL) and the service role.
create function public.claim_pushes_by_id(p_push_ids text[], p_lease_seconds integer)
returns table (id bigint, push_id text, type text, payload jsonb, attempts integer, created_at timestamptz, expired boolean)
language plpgsql
security definer
set search_path = ''
as $$
begin
  return query select * from public.claim_pushes_by_id_internal(p_push_ids, p_lease_seconds, null);
end;
$$;

-- Supabase mode, as the signed-in user: only rows of the caller's own changes (see claim_my_pushes).
create function public.claim_my_pushes_by_id(p_push_ids text[], p_lease_seconds integer)
returns table (id bigint, push_id text, type text, payload jsonb, attempts integer, created_at timestamptz, expired boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := (select auth.uid());
begin
  if v_me is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  return query select * from public.claim_pushes_by_id_internal(p_push_ids[1:500], p_lease_seconds, v_me);
end;
$$;

-- A direct message's push leaves without a claim: the request holds its payload (the message it
-- answers with, which is what the trigger wrote), sends it after the response and then deletes
-- the row by push id. Until then the row is an ordinary pending row, so a crash leaves it to the
-- sweep; a sweep that sends it meanwhile makes a duplicate, which the receiver drops by id.
create function public.complete_pushes_by_id_internal(p_push_ids text[], p_user uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.push_outbox o where o.push_id = any (p_push_ids[1:1000]) and (p_user is null or o.user_id = p_user);
end;
$$;

create function public.complete_pushes_by_id(p_push_ids text[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform public.complete_pushes_by_id_internal(p_push_ids, null);
end;
$$;

create function public.complete_my_pushes_by_id(p_push_ids text[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_me uuid := (select auth.uid());
begin
  if v_me is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  perform public.complete_pushes_by_id_internal(p_push_ids[1:500], v_me);
end;
$$;

revoke execute on function public.claim_pushes_by_id_internal, public.claim_pushes_by_id, public.claim_my_pushes_by_id,
  public.complete_pushes_by_id_internal, public.complete_pushes_by_id, public.complete_my_pushes_by_id
  from public, anon, authenticated;
grant execute on function public.claim_pushes_by_id, public.complete_pushes_by_id to service_role;
grant execute on function public.claim_my_pushes_by_id, public.complete_my_pushes_by_id to authenticated;
