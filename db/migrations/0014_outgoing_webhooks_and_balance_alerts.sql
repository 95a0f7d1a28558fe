-- Outgoing webhooks (an outbox) and low-balance alerts.
--
-- Events are written by triggers on the tables whose changes they report, so each event commits in
-- the transaction of its state change, or not at all: never lost, never invented for a rolled-back
-- change. Each event gets one delivery row per endpoint subscribed when it was written; the worker's
-- dispatcher (worker/webhooks/) is the one writer of deliveries and attempts after that.

create table webhook_endpoints (
  id text primary key check (id ~ '^we_[0-9a-z]{24}$'),
  sequence bigint generated always as identity unique,
  url text not null check (length(url) between 8 and 2048),
  -- Event types, or '*' for every type.
  events text[] not null check (cardinality(events) between 1 and 50),
  description text check (length(description) <= 500),
  -- The signing secret (whsec_…), shown once at creation; needed in clear to sign.
  secret text not null,
  enabled boolean not null default true,
  -- Since when every attempt to this endpoint has failed; null after a success. Three days of it
  -- disable the endpoint.
  failing_since timestamptz,
  disabled_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table webhook_events (
  id text primary key default ('evt_' || replace(gen_random_uuid()::text, '-', '')),
  sequence bigint generated always as identity unique,
  type text not null check (length(type) between 1 and 100),
  account_id text references accounts (id),
  -- The row the event reports, as it was in the transaction that wrote the event (numbers as strings,
  -- so no bigint loses precision on the way to JavaScript). Rendered into the event's data at delivery.
  object jsonb not null,
  created_at timestamptz not null default now(),
  -- balance.low events whose account asked for an email: 'pending' until the worker sends it.
  email_status text not null default 'none' check (email_status in ('none', 'pending', 'sent', 'failed'))
);
create index webhook_events_by_type on webhook_events (type, sequence);
create index webhook_events_email_pending on webhook_events (sequence) where email_status = 'pending';

create table webhook_deliveries (
  id text primary key default ('whd_' || replace(gen_random_uuid()::text, '-', '')),
  sequence bigint generated always as identity unique,
  event_id text not null references webhook_events (id),
  endpoint_id text not null references webhook_endpoints (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempt_count integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- A dispatcher that claimed the delivery holds it until then; a crashed one's claim runs out.
  claimed_until timestamptz,
  -- Retries stop at this time (three days after the first try, or after a redelivery).
  retry_until timestamptz not null default now() + interval '3 days',
  delivered_at timestamptz,
  failure_reason text,
  unique (event_id, endpoint_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_by_endpoint on webhook_deliveries (endpoint_id, sequence);

create table webhook_delivery_attempts (
  delivery_id text not null references webhook_deliveries (id) on delete cascade,
  number integer not null check (number > 0),
  attempted_at timestamptz not null,
  status_code integer,
  latency_ms integer not null,
  error text,
  primary key (delivery_id, number)
);

-- Writes one event and a delivery for each enabled endpoint subscribed to its type. Returns its id.
create function record_webhook_event(p_type text, p_account_id text, p_object jsonb) returns text
language plpgsql as $$
declare
  v_event_id text;
begin
  insert into webhook_events (type, account_id, object)
  values (p_type, p_account_id, (
    select coalesce(jsonb_object_agg(key, case when jsonb_typeof(value) = 'number' then to_jsonb(value #>> '{}') else value end), '{}')
    from jsonb_each(p_object)))
  returning id into v_event_id;
  insert into webhook_deliveries (event_id, endpoint_id)
  select v_event_id, e.id from webhook_endpoints e
  where e.enabled and (p_type = any (e.events) or '*' = any (e.events));
  return v_event_id;
end $$;

-- An order's status changes (and its hold for review) are topup.* events.
create function order_webhook_events() returns trigger language plpgsql as $$
begin
  if new.status is distinct from old.status and new.status in ('succeeded', 'failed', 'expired', 'cancelled') then
    perform record_webhook_event('topup.' || new.status, new.account_id, to_jsonb(new));
  end if;
  if new.needs_review and not old.needs_review then
    perform record_webhook_event('topup.needs_review', new.account_id, to_jsonb(new));
  end if;
  return null;
end $$;
create trigger orders_webhook_events after update on orders for each row
  when (new.status is distinct from old.status or new.needs_review is distinct from old.needs_review)
  execute function order_webhook_events();

create function invoice_webhook_events() returns trigger language plpgsql as $$
begin
  -- Without the PDF and the customer's email: the event carries the invoice's terms and its link.
  perform record_webhook_event('invoice.issued', new.account_id, to_jsonb(new) - 'pdf' - 'pdf_sha256' - 'customer_email');
  return null;
end $$;
create trigger invoices_webhook_events after insert on invoices for each row
  execute function invoice_webhook_events();

-- refund.<status> and dispute.<status> whenever one is created or its status moves.
create function status_webhook_events() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.status is distinct from old.status then
    perform record_webhook_event(tg_argv[0] || '.' || new.status, new.account_id, to_jsonb(new));
  end if;
  return null;
end $$;
create trigger refunds_webhook_events after insert or update of status on refunds for each row
  execute function status_webhook_events('refund');
create trigger disputes_webhook_events after insert or update of status on disputes for each row
  execute function status_webhook_events('dispute');

create function payment_exception_webhook_events() returns trigger language plpgsql as $$
begin
  perform record_webhook_event('payment_exception.opened', new.account_id, to_jsonb(new));
  return null;
end $$;
create trigger payment_exceptions_webhook_events after insert on payment_exceptions for each row
  execute function payment_exception_webhook_events();

-- Low-balance alerts. The settings are the account's (PUT /v1/balance-alerts); the thresholds are
-- copied onto the customer's ledger account in the same transaction, so that the ledger's trigger
-- below is skipped by its WHEN clause, with no lookup, for every account without alerts.
create table balance_alerts (
  account_id text primary key references accounts (id),
  thresholds_micros bigint[] not null check (cardinality(thresholds_micros) <= 10),
  email boolean not null,
  -- When balance.depleted was last written: at most once an hour.
  depleted_notified_at timestamptz,
  updated_at timestamptz not null default now()
);

alter table ledger_accounts add column balance_alert_thresholds_micros bigint[];

-- Runs under the ledger account's row lock (the balance update holds it), so concurrent deductions see
-- each other's balances one after another and only the one that crosses a threshold writes an event.
create function balance_alert_events() returns trigger language plpgsql as $$
declare
  v_threshold bigint;
  v_email boolean;
  v_event_id text;
begin
  foreach v_threshold in array new.balance_alert_thresholds_micros loop
    if old.balance_micros >= v_threshold and new.balance_micros < v_threshold then
      v_event_id := record_webhook_event('balance.low', new.account_id, jsonb_build_object(
        'account_id', new.account_id, 'currency', new.currency, 'threshold_micros', v_threshold,
        'available_micros', new.balance_micros));
      select email into v_email from balance_alerts where account_id = new.account_id;
      if v_email then update webhook_events set email_status = 'pending' where id = v_event_id; end if;
    elsif old.balance_micros < v_threshold and new.balance_micros >= v_threshold then
      perform record_webhook_event('balance.recovered', new.account_id, jsonb_build_object(
        'account_id', new.account_id, 'currency', new.currency, 'threshold_micros', v_threshold,
        'available_micros', new.balance_micros));
    end if;
  end loop;
  return null;
end $$;
create trigger ledger_accounts_balance_alerts after update of balance_micros on ledger_accounts for each row
  when (new.balance_alert_thresholds_micros is not null and new.balance_micros <> old.balance_micros)
  execute function balance_alert_events();
