-- Migrations 0001 and 0004 were edited after they had landed, so a database migrated before an edit
-- kept the earlier text and missed the change (the migrator recorded only version numbers then):
--   * 0001 first landed (9b0e556) without ledger_legs_defect, ledger_transfer_replay and
--     post_transfers, and with an earlier post_transfer (checks first, insert first, no plan settings);
--     aa6e977 added the three functions and rewrote post_transfer;
--   * 0004 first landed (686c82c) with order actions limited to start_review, confirm_transfer,
--     reject_transfer and cancel; 600ee4b added resolve_review.
-- Nothing else in 0001-0004 changed. This file states the current definitions once more, so every
-- database, whichever versions it ran, ends with the same schema; on a database that ran the current
-- files it changes nothing. The functions below are copied unchanged from 0001, comments included,
-- with "create" made "create or replace".

-- Why a transfer's legs are malformed, or null when they are well formed: two or more legs, each with a
-- ledger account and an amount, each ledger account named once, every amount non-zero, and the amounts
-- adding up to zero. It takes counts over the legs, so that a batch can check all its transfers in one
-- grouped query, and it is a plain expression, which Postgres inlines into the query that uses it.
create or replace function ledger_legs_defect(
  p_leg_count bigint,
  p_code_count bigint,
  p_distinct_code_count bigint,
  p_amount_count bigint,
  p_amount_sum numeric,
  p_zero_amount_count bigint
) returns text language sql immutable as $$
  select case
    when p_leg_count < 2 or p_code_count <> p_leg_count or p_amount_count <> p_leg_count
      then 'a transfer needs two or more legs'
    when p_distinct_code_count <> p_leg_count
      then 'a transfer names each ledger account once'
    when p_amount_sum <> 0 or p_zero_amount_count > 0
      then 'a transfer''s legs must be non-zero and add up to zero'
  end
$$;

-- Answers a transfer whose idempotency key is already taken: its entries, marked as a replay, when
-- the request hash is the same; RF002 when the key was used for other content.
create or replace function ledger_transfer_replay(p_idempotency_key text, p_request_hash bytea) returns table (
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
begin
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
end
$$;

-- Posts one transfer, exactly once per idempotency key, in one round trip.
--
-- Every refusal is found before anything is written, so no subtransaction is needed:
--   1. the idempotency key is looked up: a transfer already posted under it is the answer;
--   2. the transfer's ledger accounts are locked in id order, so concurrent transfers never deadlock;
--   3. balances that may not go negative are checked;
--   4. the transfer row is inserted; a duplicate that committed after step 1 makes it conflict, and is
--      then the answer (a duplicate still running makes it wait for that one's commit first);
--   5. the balances are updated and the entries inserted.
-- A duplicate with the same content names the same ledger accounts, so it can only commit between
-- steps 1 and 2; when step 3 fails, the key is looked up again, because that duplicate may be what
-- took the money, and then it is the answer rather than a refusal.
-- SQLSTATEs: RF001 insufficient balance, RF002 key reused with other content,
-- RF003 unknown ledger account, RF004 malformed transfer.
create or replace function post_transfer(
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
) language plpgsql
-- See post_transfers, below, for why plans are generic and sequential scans ruled out.
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
  v_defect text;
  v_transfer_id bigint;
  v_locked_count integer;
begin
  -- unnest pads the shorter array with nulls, which the counts of codes and amounts catch.
  select ledger_legs_defect(count(*), count(leg.code), count(distinct leg.code), count(leg.amount), sum(leg.amount),
                            count(*) filter (where leg.amount = 0))
  into v_defect
  from unnest(p_codes, p_amounts_micros) as leg(code, amount);
  if v_defect is not null then
    raise exception '%', v_defect using errcode = 'RF004';
  end if;

  if exists (select 1 from transfers t where t.idempotency_key = p_idempotency_key) then
    return query select * from ledger_transfer_replay(p_idempotency_key, p_request_hash);
    return;
  end if;

  select count(*) into v_locked_count from (
    select 1 from ledger_accounts l
    where l.code = any (p_codes) and l.currency = p_currency
    order by l.id
    for update
  ) as locked;
  if v_locked_count <> array_length(p_codes, 1) then
    raise exception 'a ledger account of the transfer does not exist in %', p_currency using errcode = 'RF003';
  end if;

  if exists (
    select 1 from ledger_accounts l
    join unnest(p_codes, p_amounts_micros) as leg(code, amount) on leg.code = l.code
    where not l.may_go_negative and l.balance_micros + leg.amount < 0
  ) then
    if exists (select 1 from transfers t where t.idempotency_key = p_idempotency_key) then
      return query select * from ledger_transfer_replay(p_idempotency_key, p_request_hash);
      return;
    end if;
    raise exception 'insufficient balance' using errcode = 'RF001';
  end if;

  insert into transfers (idempotency_key, request_hash, flow_type, currency, account_id,
                         description, user_reference, order_id, metadata)
  values (p_idempotency_key, p_request_hash, p_flow_type, p_currency, p_account_id,
          p_description, p_user_reference, p_order_id, p_metadata)
  on conflict (idempotency_key) do nothing
  returning id into v_transfer_id;
  if v_transfer_id is null then
    return query select * from ledger_transfer_replay(p_idempotency_key, p_request_hash);
    return;
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

-- Posts a batch of transfers in one transaction, so that they share one commit (one disk flush, one
-- lock hand-over) instead of paying for one each. p_items is a JSON array of transfers:
--   { "idempotency_key", "request_hash" (hex), "flow_type", "currency", "account_id", "description",
--     "user_reference", "order_id", "metadata", "legs": [{ "code", "amount_micros" (a string) }] }
-- Each item gets the outcome post_transfer would give it if the items were posted one after another in
-- array order, but as a status rather than an error, so a refused item leaves the others as they are:
-- 'posted', 'replayed', 'insufficient_balance', 'idempotency_key_reused', 'unknown_ledger_account' or
-- 'malformed_transfer' (with the reason in detail). A key that appears twice in one batch is posted
-- once: the later item is a replay of the earlier one, or refused as reused.
--
-- The ledger accounts named by the whole batch are locked first, in id order, so batches and single
-- transfers never deadlock each other. Keys are looked up only then: a duplicate with the same
-- content names the same accounts, so by now it has either committed (and is found) or waits for this
-- batch. Every check is then made item by item on the locked balances held in memory, and only then is
-- anything written: one insert of transfers, one update per ledger account, one insert of entries.
-- Returns one row per entry of each posted or replayed item, and one row for each refused item.
--
-- SQLSTATE RF005: a transfer with one of the batch's keys but other ledger accounts (a reused key)
-- committed while the batch ran, so the balances computed for the items after it may be wrong. The
-- batch is rolled back, nothing is written, and the caller posts its items one by one instead.
create or replace function post_transfers(p_items jsonb) returns table (
  item_index integer,
  status text,
  detail text,
  transfer_id bigint,
  replayed boolean,
  entry_id bigint,
  code text,
  amount_micros bigint,
  balance_after_micros bigint,
  created_at timestamptz
) language plpgsql
-- Planning these statements costs more than running them on a small batch, so each session plans
-- them once and keeps the plans (left to itself, Postgres would plan them again on every call, because
-- a plan for a batch of unknown size looks dearer than one for the batch at hand). A plan kept from
-- when transfers or entries were small (a new database, or statistics not yet refreshed) could read
-- them whole on every call as they grow; every table is reached through an index here, so sequential
-- scans are ruled out and the plans stay index lookups whatever the statistics say.
set plan_cache_mode = force_generic_plan
set enable_seqscan = off
as $$
#variable_conflict use_column
-- Every statement below must stay fast under a cached generic plan, which knows neither the size of the
-- batch nor that of the tables: tables are reached only through "= any (array)" index conditions or
-- primary keys, and the batch's own arrays are matched by position rather than joined to tables.
declare
  v_item_count integer := jsonb_array_length(p_items);
  v_leg_total integer;
  -- The items, by position in p_items (from 1).
  v_keys text[];
  v_hashes bytea[];
  v_flow_types text[];
  v_currencies text[];
  v_account_ids text[];
  v_descriptions text[];
  v_user_references text[];
  v_order_ids text[];
  v_metadata jsonb[];
  v_first_legs integer[];
  v_leg_counts integer[];
  v_statuses text[];
  v_details text[];
  v_existing_ids bigint[];
  v_existing_hashes bytea[];
  -- The first item of the batch with the same key; by that first item, the item posted under the key.
  v_first_with_key integer[];
  v_posted_with_key integer[];
  -- For a posted item or a replay of one in this batch: the posted item, and its rank among posted items.
  v_sources integer[];
  v_posted_ranks integer[];
  -- Every item's legs, one after another, in item order; posted legs are ranked in that order too.
  v_leg_items integer[];
  v_leg_codes text[];
  v_leg_amounts bigint[];
  v_leg_ledger_accounts integer[];
  v_leg_balances_after bigint[];
  v_leg_posted_ranks integer[];
  -- The locked ledger accounts; legs refer to them by position.
  v_ledger_ids bigint[];
  v_ledger_codes text[];
  v_ledger_currencies text[];
  v_balances bigint[];
  v_may_go_negative boolean[];
  v_touched boolean[];
  -- Ids given by the inserts, in insertion order, which is the posted items' and legs' order.
  v_new_transfer_ids bigint[];
  v_new_entry_ids bigint[];
  v_posted_count integer := 0;
  v_posted_leg_count integer := 0;
  v_posted_item integer;
  v_ledger_account integer;
  v_refusal text;
begin
  if v_item_count = 0 then
    return;
  end if;

  select coalesce(array_agg(i.n::integer order by i.n, l.m), '{}'),
         coalesce(array_agg(l.leg->>'code' order by i.n, l.m), '{}'),
         coalesce(array_agg((l.leg->>'amount_micros')::bigint order by i.n, l.m), '{}')
  into v_leg_items, v_leg_codes, v_leg_amounts
  from jsonb_array_elements(p_items) with ordinality as i(item, n)
  cross join lateral jsonb_array_elements(i.item->'legs') with ordinality as l(leg, m);
  v_leg_total := coalesce(array_length(v_leg_items, 1), 0);

  select array_agg(i.item->>'idempotency_key' order by i.n),
         array_agg(decode(i.item->>'request_hash', 'hex') order by i.n),
         array_agg(i.item->>'flow_type' order by i.n),
         array_agg(i.item->>'currency' order by i.n),
         array_agg(i.item->>'account_id' order by i.n),
         array_agg(i.item->>'description' order by i.n),
         array_agg(i.item->>'user_reference' order by i.n),
         array_agg(i.item->>'order_id' order by i.n),
         array_agg(nullif(i.item->'metadata', 'null'::jsonb) order by i.n),
         array_agg(g.first_leg order by i.n),
         array_agg(coalesce(g.leg_count, 0)::integer order by i.n),
         -- An item without legs has no group of legs: nothing to count.
         array_agg(case when g.item is null then ledger_legs_defect(0, 0, 0, 0, null, 0) else g.defect end order by i.n),
         array_agg(case when g.item is null or g.defect is not null then 'malformed_transfer' end order by i.n)
  into v_keys, v_hashes, v_flow_types, v_currencies, v_account_ids, v_descriptions, v_user_references,
       v_order_ids, v_metadata, v_first_legs, v_leg_counts, v_details, v_statuses
  from jsonb_array_elements(p_items) with ordinality as i(item, n)
  left join (
    select leg.item, min(leg.position)::integer as first_leg, count(*) as leg_count,
           ledger_legs_defect(count(*), count(leg.code), count(distinct leg.code), count(leg.amount), sum(leg.amount),
                              count(*) filter (where leg.amount = 0)) as defect
    from unnest(v_leg_items, v_leg_codes, v_leg_amounts) with ordinality as leg(item, code, amount, position)
    group by leg.item
  ) as g on g.item = i.n;

  select coalesce(array_agg(a.id), '{}'), coalesce(array_agg(a.code), '{}'), coalesce(array_agg(a.currency), '{}'),
         coalesce(array_agg(a.balance_micros), '{}'), coalesce(array_agg(a.may_go_negative), '{}')
  into v_ledger_ids, v_ledger_codes, v_ledger_currencies, v_balances, v_may_go_negative
  from (
    select l.id, l.code, l.currency, l.balance_micros, l.may_go_negative
    from ledger_accounts l
    where l.code = any (array(
      select leg.code from unnest(v_leg_items, v_leg_codes) as leg(item, code) where v_statuses[leg.item] is null
    ))
    order by l.id
    for update
  ) as a;
  v_touched := array_fill(false, array[coalesce(array_length(v_ledger_ids, 1), 0)]);

  select array_agg(t.id order by k.n), array_agg(t.request_hash order by k.n), array_agg(k.first_n order by k.n)
  into v_existing_ids, v_existing_hashes, v_first_with_key
  from (
    select u.key, u.n::integer as n, min(u.n) over (partition by u.key)::integer as first_n
    from unnest(v_keys) with ordinality as u(key, n)
  ) as k
  left join (
    select t.id, t.idempotency_key, t.request_hash from transfers t where t.idempotency_key = any (v_keys)
  ) as t on t.idempotency_key = k.key;

  select coalesce(array_agg(a.position::integer order by leg.position), '{}') into v_leg_ledger_accounts
  from unnest(v_leg_items, v_leg_codes) with ordinality as leg(item, code, position)
  left join unnest(v_ledger_codes, v_ledger_currencies) with ordinality as a(code, currency, position)
    on a.code = leg.code and a.currency = v_currencies[leg.item];

  v_posted_with_key := array_fill(null::integer, array[v_item_count]);
  v_sources := array_fill(null::integer, array[v_item_count]);
  v_posted_ranks := array_fill(null::integer, array[v_item_count]);
  v_leg_balances_after := array_fill(null::bigint, array[v_leg_total]);
  v_leg_posted_ranks := array_fill(null::integer, array[v_leg_total]);

  for i in 1 .. v_item_count loop
    continue when v_statuses[i] is not null;
    -- The key: already in the ledger, or posted by an earlier item of this batch.
    if v_existing_ids[i] is not null then
      v_statuses[i] := case when v_existing_hashes[i] = v_hashes[i] then 'replayed' else 'idempotency_key_reused' end;
    else
      v_posted_item := v_posted_with_key[v_first_with_key[i]];
      if v_posted_item is not null then
        if v_hashes[v_posted_item] = v_hashes[i] then
          v_statuses[i] := 'replayed';
          v_sources[i] := v_posted_item;
        else
          v_statuses[i] := 'idempotency_key_reused';
        end if;
      end if;
    end if;
    if v_statuses[i] = 'idempotency_key_reused' then
      v_details[i] := format('idempotency key %s was used for a different transfer', v_keys[i]);
    end if;
    continue when v_statuses[i] is not null;

    v_refusal := null;
    for l in v_first_legs[i] .. v_first_legs[i] + v_leg_counts[i] - 1 loop
      if v_leg_ledger_accounts[l] is null then
        v_refusal := 'unknown_ledger_account';
        v_details[i] := format('a ledger account of the transfer does not exist in %s', v_currencies[i]);
        exit;
      end if;
    end loop;
    if v_refusal is null then
      for l in v_first_legs[i] .. v_first_legs[i] + v_leg_counts[i] - 1 loop
        v_ledger_account := v_leg_ledger_accounts[l];
        if not v_may_go_negative[v_ledger_account] and v_balances[v_ledger_account] + v_leg_amounts[l] < 0 then
          v_refusal := 'insufficient_balance';
          v_details[i] := 'insufficient balance';
          exit;
        end if;
      end loop;
    end if;
    if v_refusal is not null then
      v_statuses[i] := v_refusal;
      continue;
    end if;

    for l in v_first_legs[i] .. v_first_legs[i] + v_leg_counts[i] - 1 loop
      v_ledger_account := v_leg_ledger_accounts[l];
      v_balances[v_ledger_account] := v_balances[v_ledger_account] + v_leg_amounts[l];
      v_leg_balances_after[l] := v_balances[v_ledger_account];
      v_touched[v_ledger_account] := true;
      v_posted_leg_count := v_posted_leg_count + 1;
      v_leg_posted_ranks[l] := v_posted_leg_count;
    end loop;
    v_statuses[i] := 'posted';
    v_sources[i] := i;
    v_posted_count := v_posted_count + 1;
    v_posted_ranks[i] := v_posted_count;
    v_posted_with_key[v_first_with_key[i]] := i;
  end loop;

  -- One statement writes everything (a data-modifying WITH always runs to completion). Identity values are taken in insertion order, so the k-th new
  -- transfer id is the k-th posted item's, and the k-th new entry id the k-th posted leg's.
  with new_transfers as (
    insert into transfers (idempotency_key, request_hash, flow_type, currency, account_id,
                           description, user_reference, order_id, metadata)
    select t.key, t.hash, t.flow_type, t.currency, t.account_id, t.description, t.user_reference, t.order_id, t.metadata
    from unnest(v_keys, v_hashes, v_flow_types, v_currencies, v_account_ids, v_descriptions, v_user_references,
                v_order_ids, v_metadata, v_statuses)
      with ordinality as t(key, hash, flow_type, currency, account_id, description, user_reference, order_id, metadata, status, n)
    where t.status = 'posted'
    order by t.n
    on conflict (idempotency_key) do nothing
    returning transfers.id
  ), ranked_transfers as (
    select nt.id, row_number() over (order by nt.id) as posted_rank from new_transfers nt
  ), new_entries as (
    insert into entries (transfer_id, ledger_account_id, amount_micros, balance_after_micros)
    select rt.id, v_ledger_ids[leg.ledger_account], leg.amount, leg.balance_after
    from unnest(v_leg_items, v_leg_ledger_accounts, v_leg_amounts, v_leg_balances_after, v_leg_posted_ranks)
      with ordinality as leg(item, ledger_account, amount, balance_after, posted_rank, position)
    join ranked_transfers rt on rt.posted_rank = v_posted_ranks[leg.item]
    where leg.posted_rank is not null
    order by leg.position
    returning entries.id
  ), updated as (
    update ledger_accounts l
    set balance_micros = a.balance, updated_at = now()
    from unnest(v_ledger_ids, v_balances, v_touched) as a(id, balance, touched)
    where l.id = any (v_ledger_ids) and l.id = a.id and a.touched
  )
  select coalesce((select array_agg(nt.id order by nt.id) from new_transfers nt), '{}'),
         coalesce((select array_agg(ne.id order by ne.id) from new_entries ne), '{}')
  into v_new_transfer_ids, v_new_entry_ids;
  -- A transfer the batch did not find took one of its keys: the error rolls the whole batch back.
  if coalesce(array_length(v_new_transfer_ids, 1), 0) <> v_posted_count then
    raise exception 'a transfer with a key of this batch committed while it ran; post its items one by one'
      using errcode = 'RF005';
  end if;

  -- Entries' created_at is now(): the start of this transaction, the same for every entry it inserts.
  return query
    select r.n::integer, r.status, r.detail,
           case when r.source is not null then v_new_transfer_ids[v_posted_ranks[r.source]] end,
           r.status = 'replayed', v_new_entry_ids[v_leg_posted_ranks[leg.position]], v_leg_codes[leg.position],
           v_leg_amounts[leg.position], v_leg_balances_after[leg.position],
           case when r.source is not null then now() end
    from unnest(v_statuses, v_details, v_sources, v_existing_ids) with ordinality as r(status, detail, source, existing_id, n)
    left join lateral generate_series(v_first_legs[r.source], v_first_legs[r.source] + v_leg_counts[r.source] - 1)
      as leg(position) on true
    where not (r.status = 'replayed' and r.existing_id is not null)
    union all
    select r.n::integer, r.status, null, e.transfer_id, true, e.id, l.code, e.amount_micros, e.balance_after_micros, e.created_at
    from entries e
    join unnest(v_existing_ids, v_statuses) with ordinality as r(transfer_id, status, n)
      on r.transfer_id = e.transfer_id and r.status = 'replayed'
    join ledger_accounts l on l.id = e.ledger_account_id
    where e.transfer_id = any (array(
      select u.id from unnest(v_existing_ids, v_statuses) as u(id, status) where u.status = 'replayed'
    ))
    order by 1, 6;
end
$$;

-- The check Postgres named order_actions_action_check, from 0004's column constraint, with the
-- current list of actions. Existing rows all hold an action of the earlier list, a subset of this one.
alter table order_actions
  drop constraint if exists order_actions_action_check,
  add constraint order_actions_action_check
    check (action in ('start_review', 'confirm_transfer', 'reject_transfer', 'cancel', 'resolve_review'));
