-- Saved payment methods and automatic recharge below a threshold.
--
-- Owners (one writer each): payment_customers and payment_methods are written by the API (the setup
-- webhook stores a method, the routes choose the default and detach); auto_recharge_settings by the API's
-- PUT /v1/auto-recharge and, to switch it off when its card is deleted, DELETE /v1/payment-methods/{id};
-- auto_recharge_status and auto_recharge_attempts by the account's auto-recharge workflow only. The
-- state a client sees is derived from both: a stop the workflow records applies to the settings version
-- it was recorded for, so only a new PUT (a new version) lifts it; nothing re-enables itself.

-- The provider's customer of an account, created once (the unique account is the idempotency).
create table payment_customers (
  account_id text primary key references accounts (id),
  provider text not null check (provider in ('stripe', 'sandbox')),
  provider_customer_id text not null unique check (length(provider_customer_id) between 1 and 255),
  created_at timestamptz not null default now()
);

-- Cards saved for off-session use: what the provider reports of them, never their numbers.
create table payment_methods (
  id text primary key check (length(id) between 1 and 255),
  account_id text not null references accounts (id),
  brand text not null check (length(brand) between 1 and 40),
  last4 text not null check (last4 ~ '^[0-9]{4}$'),
  exp_month integer not null check (exp_month between 1 and 12),
  exp_year integer not null check (exp_year between 2000 and 2200),
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  detached_at timestamptz,
  check (not (is_default and detached_at is not null))
);
create index payment_methods_by_account on payment_methods (account_id, created_at desc) where detached_at is null;
create unique index payment_methods_one_default on payment_methods (account_id) where is_default;

-- Setup sessions of the sandbox provider ("Save card" page), used when no Stripe key is configured.
create table sandbox_setup_sessions (
  id text primary key,
  account_id text not null references accounts (id),
  provider_customer_id text not null,
  -- The client's Idempotency-Key: asking again with it returns the same session.
  idempotency_key text not null check (length(idempotency_key) between 1 and 255),
  status text not null check (status in ('open', 'complete', 'expired')),
  -- The test card chosen on the page (activities/payments/sandbox-cards.ts).
  card text,
  success_url text not null,
  cancel_url text not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  unique (account_id, idempotency_key)
);

-- What the customer agreed to. version grows with every PUT: a stop recorded by the workflow names the
-- version it stopped, so a new PUT (and only that) makes the recharge active again.
create table auto_recharge_settings (
  account_id text primary key references accounts (id),
  version integer not null check (version > 0),
  enabled boolean not null,
  currency text not null check (currency in ('USD', 'CNY')),
  threshold_micros bigint not null check (threshold_micros >= 0),
  amount_micros bigint check (amount_micros > 0),
  target_balance_micros bigint check (target_balance_micros > threshold_micros),
  payment_method_id text references payment_methods (id),
  monthly_limit_micros bigint not null check (monthly_limit_micros > 0),
  cooldown_seconds integer not null check (cooldown_seconds between 60 and 86400),
  maximum_per_day integer not null check (maximum_per_day between 1 and 24),
  -- Why it is off when the API switched it off (the card was deleted); null when the customer did.
  disabled_reason text check (length(disabled_reason) <= 500),
  consent_at timestamptz,
  consent_ip text check (length(consent_ip) <= 64),
  consent_user_agent text check (length(consent_user_agent) <= 500),
  consent_settings jsonb,
  updated_at timestamptz not null default now(),
  check ((amount_micros is null) <> (target_balance_micros is null)),
  check (not enabled or consent_at is not null)
);

-- What the account's workflow last did and whether it stopped, for the settings version it ran under.
create table auto_recharge_status (
  account_id text primary key references accounts (id),
  -- The settings version consecutive_failures counts under: a new version starts again from 0.
  settings_version integer not null,
  stopped_version integer,
  stopped_state text check (stopped_state in ('paused', 'disabled')),
  stopped_reason text check (length(stopped_reason) <= 500),
  consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
  last_attempt_at timestamptz,
  last_attempt_outcome text check (last_attempt_outcome in ('succeeded', 'declined', 'authentication_required', 'failed', 'skipped')),
  last_attempt_amount_micros bigint,
  last_attempt_decline_code text check (length(last_attempt_decline_code) <= 100),
  last_attempt_reason text check (length(last_attempt_reason) <= 500),
  updated_at timestamptz not null default now(),
  check ((stopped_version is null) = (stopped_state is null))
);
create index auto_recharge_status_stopped on auto_recharge_status (stopped_state) where stopped_state is not null;

-- Every charge attempt: the monthly limit counts succeeded and in-flight attempts of the month.
create table auto_recharge_attempts (
  id text primary key check (id ~ '^arc_[0-9a-z]{24}$'),
  account_id text not null references accounts (id),
  settings_version integer not null,
  amount_micros bigint not null check (amount_micros > 0),
  currency text not null check (currency in ('USD', 'CNY')),
  status text not null check (status in ('charging', 'succeeded', 'declined', 'authentication_required', 'failed')),
  payment_method_id text not null references payment_methods (id),
  provider_customer_id text not null,
  decline_code text check (length(decline_code) <= 100),
  provider_payment_id text,
  order_id text not null unique references orders (id),
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create index auto_recharge_attempts_by_account on auto_recharge_attempts (account_id, created_at desc);

-- A recharge is an order of its own kind: the usual quote, bonus, credit and invoice, paid off-session.
alter table orders drop constraint orders_payment_method_check;
alter table orders add constraint orders_payment_method_check check (payment_method in ('stripe', 'bank_transfer', 'auto_recharge'));
alter table invoices drop constraint invoices_payment_method_check;
alter table invoices add constraint invoices_payment_method_check check (payment_method in ('stripe', 'bank_transfer', 'auto_recharge'));
