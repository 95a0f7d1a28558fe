-- Top-up orders, promo codes and their reservations, and the payment provider's events.
--
-- The order workflow owns an order's state; this table is its durable copy, written by the
-- workflow's activities at every change, read by the API for lists and lookups.

create table orders (
  id text primary key check (id ~ '^ord_[0-9a-z]{24}$'),
  -- Position in creation order, for stable pagination.
  sequence bigint generated always as identity unique,
  account_id text not null references accounts (id),
  idempotency_key text not null,
  request_hash text not null,
  status text not null check (status in ('pending', 'processing', 'succeeded', 'failed', 'expired', 'cancelled')),
  payment_method text not null check (payment_method in ('stripe', 'bank_transfer')),
  currency text not null check (currency in ('USD', 'CNY')),
  package_id text,
  amount_micros bigint not null check (amount_micros > 0),
  discount_micros bigint not null check (discount_micros >= 0),
  pay_amount_micros bigint not null check (pay_amount_micros > 0),
  bonus_micros bigint not null check (bonus_micros >= 0),
  credit_micros bigint not null,
  promo_code text,
  checkout_session_id text,
  checkout_url text,
  success_url text,
  cancel_url text,
  expires_at timestamptz not null,
  created_at timestamptz not null,
  updated_at timestamptz not null default now(),
  paid_at timestamptz,
  credited_at timestamptz,
  receipt_url text,
  provider_payment_id text,
  needs_review boolean not null default false,
  review_reason text,
  failure_reason text,
  unique (account_id, idempotency_key),
  check (pay_amount_micros = amount_micros - discount_micros),
  check (credit_micros = amount_micros + bonus_micros)
);
create index orders_by_account on orders (account_id, sequence desc);
create index orders_by_account_status on orders (account_id, status, sequence desc);
create index orders_needing_review on orders (sequence) where needs_review;

create table promo_codes (
  code text primary key check (code ~ '^[A-Z0-9_-]{3,40}$'),
  kind text not null check (kind in ('discount_percent', 'discount_fixed', 'bonus_percent', 'bonus_fixed')),
  -- Basis points for the percent kinds, micro-units for the fixed kinds.
  value bigint not null check (value > 0),
  currency text not null check (currency in ('USD', 'CNY')),
  minimum_amount_micros bigint not null default 0 check (minimum_amount_micros >= 0),
  expires_at timestamptz,
  maximum_redemptions integer check (maximum_redemptions > 0),
  maximum_redemptions_per_account integer check (maximum_redemptions_per_account > 0),
  description text,
  created_at timestamptz not null default now(),
  check (kind not like '%_percent' or value <= 10000)
);

-- One row per order that uses a code. 'reserved' and 'redeemed' rows count against the limits.
create table promo_reservations (
  order_id text primary key references orders (id),
  code text not null references promo_codes (code),
  account_id text not null references accounts (id),
  status text not null check (status in ('reserved', 'redeemed', 'released')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index promo_reservations_counting on promo_reservations (code, account_id) where status <> 'released';

-- Every verified webhook event, by its provider id, before it is acted on.
create table stripe_events (
  id text primary key,
  type text not null,
  order_id text,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  delivered_at timestamptz,
  -- What became of it: delivered to its workflow, or why not.
  outcome text check (outcome in ('delivered', 'unknown_order', 'order_closed', 'ignored_type', 'flagged_for_review'))
);
create index stripe_events_by_order on stripe_events (order_id, received_at);

-- Checkout sessions of the built-in sandbox provider, used when no Stripe key is configured.
create table sandbox_checkout_sessions (
  id text primary key,
  order_id text not null unique,
  amount_total_minor_units bigint not null check (amount_total_minor_units > 0),
  currency text not null,
  status text not null check (status in ('open', 'complete', 'expired')),
  payment_status text not null check (payment_status in ('unpaid', 'paid')),
  success_url text not null,
  cancel_url text not null,
  expires_at timestamptz not null,
  created_at timestamptz not null default now()
);
