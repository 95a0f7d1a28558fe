-- Customer accounts, their API keys, and the double-entry ledger.
--
-- Every movement of money is a transfer: two or more entries, on ledger accounts of one currency,
-- whose amounts add up to zero. A ledger account's balance is the sum of its entries; it is cached
-- on the ledger account row (updated in the same transaction) and recorded after every entry.
-- Entries and transfers are immutable: a correction is a new transfer.

create table accounts (
  id text primary key check (id ~ '^acct_[0-9a-z]{24}$'),
  email text not null check (length(email) between 3 and 320),
  currency text not null check (currency in ('USD', 'CNY')),
  created_at timestamptz not null default now()
);

create table api_keys (
  -- SHA-256 of the key: the key itself is shown once, when created, and never stored.
  key_hash bytea primary key check (length(key_hash) = 32),
  account_id text not null references accounts (id),
  -- The first characters of the key, so a person can tell keys apart without seeing them whole.
  key_prefix text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index api_keys_account_id on api_keys (account_id);

create table ledger_accounts (
  id bigint generated always as identity primary key,
  -- 'customer:<account id>' for a customer's balance; '<kind>:<currency>:<shard>' for the platform's own.
  code text not null unique,
  kind text not null check (kind in ('customer_balance', 'payment_clearing', 'promotional', 'usage_revenue', 'refunds')),
  currency text not null check (currency in ('USD', 'CNY')),
  account_id text references accounts (id),
  balance_micros bigint not null default 0,
  -- The platform's own accounts are counterparties and may be negative; a customer's balance never is.
  may_go_negative boolean not null,
  updated_at timestamptz not null default now(),
  check (may_go_negative or balance_micros >= 0),
  check ((kind = 'customer_balance') = (account_id is not null)),
  check ((kind = 'customer_balance') = (not may_go_negative))
);
create unique index ledger_accounts_one_balance_per_customer on ledger_accounts (account_id)
  where kind = 'customer_balance';

-- The platform's accounts are split into shards, chosen by the customer account, so that deductions
-- on many customer accounts do not all queue behind one usage_revenue row lock.
insert into ledger_accounts (code, kind, currency, may_go_negative)
select kind || ':' || currency || ':' || lpad(shard::text, 2, '0'), kind, currency, true
from unnest(array['payment_clearing', 'promotional', 'usage_revenue', 'refunds']) as kind,
     unnest(array['USD', 'CNY']) as currency,
     generate_series(0, 15) as shard;

create table transfers (
  id bigint generated always as identity primary key,
  -- Namespaced by its origin, e.g. 'consume:<account id>:<client key>' or 'recharge:<order id>'.
  idempotency_key text not null unique check (length(idempotency_key) between 1 and 400),
  -- SHA-256 of the transfer's content: the same key with other content is refused, never applied.
  request_hash bytea not null check (length(request_hash) = 32),
  flow_type text not null check (flow_type in ('recharge', 'consume', 'refund', 'adjustment')),
  currency text not null check (currency in ('USD', 'CNY')),
  account_id text references accounts (id),
  description text check (length(description) <= 500),
  user_reference text check (length(user_reference) <= 200),
  order_id text,
  metadata jsonb,
  created_at timestamptz not null default now()
);
create index transfers_order_id on transfers (order_id) where order_id is not null;

create table entries (
  id bigint generated always as identity primary key,
  transfer_id bigint not null references transfers (id),
  ledger_account_id bigint not null references ledger_accounts (id),
  -- Positive adds to the ledger account's balance, negative takes from it.
  amount_micros bigint not null check (amount_micros <> 0),
  balance_after_micros bigint not null,
  created_at timestamptz not null default now()
);
create index entries_by_ledger_account on entries (ledger_account_id, id desc);
create index entries_by_transfer on entries (transfer_id);

create function refuse_ledger_change() returns trigger language plpgsql as $$
begin
  raise exception 'ledger rows are immutable: % on % refused', tg_op, tg_table_name
    using errcode = 'RF900';
end
$$;

create trigger transfers_are_immutable before update or delete on transfers
  for each row execute function refuse_ledger_change();
create trigger entries_are_immutable before update or delete on entries
  for each row execute function refuse_ledger_change();
create trigger transfers_are_not_truncated before truncate on transfers
  for each statement execute function refuse_ledger_change();
create trigger entries_are_not_truncated before truncate on entries
  for each statement execute function refuse_ledger_change();

-- Posts one transfer, exactly once per idempotency key, in one round trip.
--
-- The transfer row is inserted first: its unique key makes a concurrent duplicate wait for the
-- first to commit, then find it and return it as a replay (or roll back, and go ahead itself).
-- The ledger accounts are then locked in id order, so concurrent transfers never deadlock.
-- SQLSTATEs: RF001 insufficient balance, RF002 key reused with other content,
-- RF003 unknown ledger account, RF004 malformed transfer.
create function post_transfer(
  p_idempotency_key text,
  p_request_hash bytea,
  p_flow_type text,
  p_currency text,
  p_account_id text,
  p_description text,
  p_user_reference text,
  p_order_id text,
  p_metadata jsonb,
  p_codes text[],
  p_amounts_micros bigint[]
) returns table (
  transfer_id bigint,
  replayed boolean,
  entry_id bigint,
  code text,
  amount_micros bigint,
  balance_after_micros bigint,
  created_at timestamptz
) language plpgsql as $$
#variable_conflict use_column
declare
  v_transfer_id bigint;
  v_existing_hash bytea;
  v_leg_count integer := coalesce(array_length(p_codes, 1), 0);
  v_locked_count integer;
begin
  if v_leg_count < 2 or v_leg_count <> coalesce(array_length(p_amounts_micros, 1), 0) then
    raise exception 'a transfer needs two or more legs' using errcode = 'RF004';
  end if;
  if (select count(distinct c) from unnest(p_codes) as c) <> v_leg_count then
    raise exception 'a transfer names each ledger account once' using errcode = 'RF004';
  end if;
  if (select sum(a) from unnest(p_amounts_micros) as a) <> 0
     or exists (select 1 from unnest(p_amounts_micros) as a where a = 0) then
    raise exception 'a transfer''s legs must be non-zero and add up to zero' using errcode = 'RF004';
  end if;

  insert into transfers (idempotency_key, request_hash, flow_type, currency, account_id,
                         description, user_reference, order_id, metadata)
  values (p_idempotency_key, p_request_hash, p_flow_type, p_currency, p_account_id,
          p_description, p_user_reference, p_order_id, p_metadata)
  on conflict (idempotency_key) do nothing
  returning id into v_transfer_id;

  if v_transfer_id is null then
    select t.id, t.request_hash into v_transfer_id, v_existing_hash
    from transfers t where t.idempotency_key = p_idempotency_key;
    if v_existing_hash <> p_request_hash then
      raise exception 'idempotency key % was used for a different transfer', p_idempotency_key
        using errcode = 'RF002';
    end if;
    return query
      select e.transfer_id, true, e.id, l.code, e.amount_micros, e.balance_after_micros, e.created_at
      from entries e join ledger_accounts l on l.id = e.ledger_account_id
      where e.transfer_id = v_transfer_id
      order by e.id;
    return;
  end if;

  select count(*) into v_locked_count from (
    select 1 from ledger_accounts l
    where l.code = any (p_codes) and l.currency = p_currency
    order by l.id
    for update
  ) as locked;
  if v_locked_count <> v_leg_count then
    raise exception 'a ledger account of the transfer does not exist in %', p_currency using errcode = 'RF003';
  end if;

  if exists (
    select 1 from ledger_accounts l
    join unnest(p_codes, p_amounts_micros) as leg(code, amount) on leg.code = l.code
    where not l.may_go_negative and l.balance_micros + leg.amount < 0
  ) then
    raise exception 'insufficient balance' using errcode = 'RF001';
  end if;

  return query
    with legs as (
      select leg.code, leg.amount from unnest(p_codes, p_amounts_micros) as leg(code, amount)
    ), updated as (
      update ledger_accounts l
      set balance_micros = l.balance_micros + legs.amount, updated_at = now()
      from legs where l.code = legs.code
      returning l.id, l.code, l.balance_micros, legs.amount
    ), inserted as (
      insert into entries (transfer_id, ledger_account_id, amount_micros, balance_after_micros)
      select v_transfer_id, u.id, u.amount, u.balance_micros from updated u
      returning entries.id, entries.ledger_account_id, entries.amount_micros,
                entries.balance_after_micros, entries.created_at
    )
    select v_transfer_id, false, i.id, u.code, i.amount_micros, i.balance_after_micros, i.created_at
    from inserted i join updated u on u.id = i.ledger_account_id
    order by i.id;
end
$$;
