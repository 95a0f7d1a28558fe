-- Holds (two-phase transfers for usage whose price is known only at its end) and spend limits per user.
--
-- A hold is a pending transfer in the ledger: its creation is a transfer 'hold' from the customer's
-- balance to a holds shard ('holds:<currency>:<shard>'), so the customer's ledger account shows what is
-- available to spend, and the ledger's own non-negative check is what stops a hold, an extension or a
-- consumption from overdrawing. A hold ends with exactly one settlement transfer under the key
-- 'hold:<hold id>:settle': a 'consume' (the capture: the captured amount to usage revenue, the rest back
-- to the customer) or a 'release' (void or expiry: all of it back). One key per hold is what makes a
-- second capture impossible. Every transfer of a hold goes through post_transfer / post_transfers like
-- any other; the trigger below writes the holds row from them, in the same transaction: the creation's
-- metadata carries the hold (amount, expiry, the client's key and metadata), so a hold is one batched
-- transfer and nothing else.

alter table ledger_accounts drop constraint ledger_accounts_kind_check;
alter table ledger_accounts add constraint ledger_accounts_kind_check
  check (kind in ('customer_balance', 'payment_clearing', 'promotional', 'usage_revenue', 'refunds', 'customer_debt', 'holds'));

-- Sharded like the platform's other accounts (db/ledger/ledger-account-codes.ts), so that holds on many
-- customer accounts do not queue behind one row lock.
insert into ledger_accounts (code, kind, currency, may_go_negative)
select 'holds:' || currency || ':' || lpad(shard::text, 2, '0'), 'holds', currency, true
from unnest(array['USD', 'CNY']) as currency, generate_series(0, 15) as shard;

alter table transfers drop constraint transfers_flow_type_check;
alter table transfers add constraint transfers_flow_type_check
  check (flow_type in ('recharge', 'consume', 'refund', 'adjustment', 'refund_reversal', 'dispute', 'dispute_reversal', 'hold', 'release'));

-- Spending by one user of an account within a period is found through this index, when a limit is set.
create index transfers_by_account_user on transfers (account_id, user_reference, created_at)
  where user_reference is not null;

create table holds (
  id text primary key check (id ~ '^hold_[0-9a-z]{24}$'),
  -- Orders the account's holds for keyset pagination, newest first.
  position bigint generated always as identity unique,
  account_id text not null references accounts (id),
  currency text not null check (currency in ('USD', 'CNY')),
  -- The client's Idempotency-Key for the creation; the id is derived from it (ids/ids.ts).
  idempotency_key text not null check (length(idempotency_key) between 1 and 255),
  status text not null check (status in ('active', 'captured', 'voided', 'expired')),
  amount_micros bigint not null check (amount_micros > 0),
  captured_micros bigint check (captured_micros >= 0 and captured_micros <= amount_micros),
  user_reference text check (length(user_reference) <= 200),
  description text not null check (length(description) <= 500),
  metadata jsonb,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  settled_at timestamptz,
  creation_transfer_id bigint not null references transfers (id),
  settlement_transfer_id bigint references transfers (id),
  unique (account_id, idempotency_key),
  check ((status = 'captured') = (captured_micros is not null)),
  check ((status = 'active') = (settled_at is null))
);
create index holds_by_account on holds (account_id, position desc);
create index holds_active_by_account on holds (account_id, user_reference) include (amount_micros, expires_at)
  where status = 'active';
create index holds_active_by_expiry on holds (expires_at) where status = 'active';

-- A spend limit per user of an account, and what that user consumed in the period that starts at
-- period_start (a cache kept by the trigger below, computed again from the ledger when the limit is set).
create table spend_limits (
  account_id text not null references accounts (id),
  user_reference text not null check (length(user_reference) between 1 and 200),
  amount_micros bigint not null check (amount_micros > 0),
  period text not null check (period in ('day', 'week', 'month')),
  period_start timestamptz not null,
  spent_micros bigint not null check (spent_micros >= 0),
  updated_at timestamptz not null default now(),
  primary key (account_id, user_reference)
);

-- The start of the UTC day, ISO week (Monday) or month that holds p_at.
create function spend_period_start(p_period text, p_at timestamptz) returns timestamptz
language sql immutable as $$
  select date_trunc(p_period, p_at at time zone 'UTC') at time zone 'UTC'
$$;

-- Applies a hold's transfer to its holds row. The transfer was computed from the row as the caller read
-- it; when the row changed since (metadata.held_micros no longer matches), or the hold is no longer in a
-- state that allows it, the transaction is refused, so nothing of the transfer is recorded. The usual
-- case is one guarded update; only a refusal reads the row again, to say why.
-- SQLSTATEs: RF010 the hold changed or is not active, RF011 the hold has expired.
-- Plans are kept per session from the first calls, when holds may be a handful of rows; as for
-- post_transfers (migration 0001), sequential scans are ruled out so that they stay index lookups.
create function apply_hold_transfer(p_transfer transfers) returns void language plpgsql
set enable_seqscan = off
as $$
declare
  v_hold_id text := split_part(p_transfer.idempotency_key, ':', 2);
  v_action text := split_part(p_transfer.idempotency_key, ':', 3);
  v_outcome text := p_transfer.metadata->>'hold_outcome';
  v_held_micros bigint := (p_transfer.metadata->>'held_micros')::bigint;
  v_hold holds%rowtype;
begin
  if v_action = 'create' then
    -- A transfer's key is unique, so this runs once per hold; its content is the hold's, fixed by the id.
    insert into holds (id, account_id, currency, idempotency_key, status, amount_micros, user_reference, description,
                       metadata, expires_at, creation_transfer_id)
    values (v_hold_id, p_transfer.account_id, p_transfer.currency, p_transfer.metadata->>'idempotency_key', 'active',
            (p_transfer.metadata->>'amount_micros')::bigint, p_transfer.user_reference, p_transfer.description,
            (p_transfer.metadata->>'client_metadata')::jsonb,
            now() + make_interval(secs => (p_transfer.metadata->>'expires_in_seconds')::integer), p_transfer.id);
    return;
  elsif v_action = 'extend' then
    update holds set amount_micros = (p_transfer.metadata->>'amount_micros')::bigint,
                     expires_at = coalesce(now() + make_interval(secs => (p_transfer.metadata->>'expires_in_seconds')::integer), expires_at)
    where id = v_hold_id and account_id = p_transfer.account_id and status = 'active'
      and amount_micros = v_held_micros and expires_at > now();
  elsif v_action = 'settle' and v_outcome in ('captured', 'voided', 'expired') then
    update holds set status = v_outcome, settled_at = now(), settlement_transfer_id = p_transfer.id,
                     captured_micros = case when v_outcome = 'captured' then (p_transfer.metadata->>'captured_micros')::bigint end
    where id = v_hold_id and account_id = p_transfer.account_id and status = 'active' and amount_micros = v_held_micros
      and case when v_outcome = 'expired' then expires_at <= now() when v_outcome = 'captured' then expires_at > now() else true end;
  else
    raise exception 'transfer % is not a hold transfer', p_transfer.idempotency_key using errcode = 'RF004';
  end if;
  if found then
    return;
  end if;
  select * into v_hold from holds where id = v_hold_id and account_id = p_transfer.account_id;
  if found and v_hold.status = 'active' and v_hold.amount_micros = v_held_micros and v_hold.expires_at <= now()
     and v_outcome is distinct from 'expired' and v_outcome is distinct from 'voided' then
    raise exception 'hold % expired at %', v_hold_id, v_hold.expires_at using errcode = 'RF011';
  end if;
  raise exception 'hold % is missing, ended or changed while this transfer was prepared', v_hold_id using errcode = 'RF010';
end
$$;

-- Counts a transfer against its user's spend limit, if there is one. Consumptions and holds that take
-- more are refused (RF012) when the user's consumption in the period plus their active holds would pass
-- the limit; settlements only move held money to spent or back, so they are counted but never refused.
-- The customer's ledger account is locked by the transfer, so every check of one account runs in turn.
create function count_spend(p_transfer transfers) returns void language plpgsql
set enable_seqscan = off
as $$
declare
  v_limit spend_limits%rowtype;
  v_period_start timestamptz;
  v_consumed bigint;
  v_held bigint;
begin
  select * into v_limit from spend_limits
  where account_id = p_transfer.account_id and user_reference = p_transfer.user_reference for update;
  if not found then
    return;
  end if;
  v_period_start := spend_period_start(v_limit.period, now());
  select coalesce(sum(e.amount_micros), 0)::bigint into v_consumed
  from entries e join ledger_accounts l on l.id = e.ledger_account_id
  where e.transfer_id = p_transfer.id and l.kind = 'usage_revenue';
  update spend_limits
  set spent_micros = case when period_start = v_period_start then spent_micros else 0 end + v_consumed,
      period_start = v_period_start
  where account_id = p_transfer.account_id and user_reference = p_transfer.user_reference
  returning * into v_limit;
  if p_transfer.idempotency_key like 'hold:%:settle' or p_transfer.flow_type not in ('consume', 'hold') then
    return;
  end if;
  select coalesce(sum(h.amount_micros), 0)::bigint into v_held from holds h
  where h.account_id = p_transfer.account_id and h.user_reference = p_transfer.user_reference
    and h.status = 'active' and h.expires_at > now();
  if v_limit.spent_micros + v_held > v_limit.amount_micros then
    raise exception 'spend limit of % reached', p_transfer.user_reference using errcode = 'RF012';
  end if;
end
$$;

create function hold_and_spend_rules() returns trigger language plpgsql as $$
begin
  if new.idempotency_key like 'hold:%' then
    perform apply_hold_transfer(new);
  end if;
  if new.user_reference is not null and new.account_id is not null then
    perform count_spend(new);
  end if;
  return null;
end
$$;

-- Deferred to the commit, so that the transfer's entries are there whichever function posted it; the
-- WHEN clause is evaluated at once, so an ordinary consumption without a user queues nothing.
create constraint trigger transfers_hold_and_spend_rules after insert on transfers
  deferrable initially deferred for each row
  when (new.idempotency_key like 'hold:%' or new.user_reference is not null)
  execute function hold_and_spend_rules();
