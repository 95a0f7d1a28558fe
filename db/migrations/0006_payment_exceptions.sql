-- Payment exceptions: a payment that reached an order after its workflow had closed without crediting
-- it (or a second payment of a credited order). A record of its own, never an edit of the closed order;
-- written by the exception's own workflow (payment-exception-<id>), which carries out ops' decision.

create table payment_exceptions (
  id text primary key check (id ~ '^pex_[A-Za-z0-9_]{1,200}$'),
  -- Position in creation order, for stable pagination.
  sequence bigint generated always as identity unique,
  -- The provider's event that reported the payment, and the payment itself: one exception each.
  event_id text not null unique,
  provider text not null check (provider in ('stripe')),
  provider_payment_id text unique,
  order_id text not null references orders (id),
  account_id text not null references accounts (id),
  -- As the provider reported them: minor units and a lower-case currency.
  amount_minor_units bigint,
  currency text,
  order_status text not null,
  reason text not null,
  status text not null default 'open' check (status in ('open', 'resolved')),
  decision text check (decision in ('credit', 'refund', 'dismiss')),
  decision_reason text,
  decided_by text,
  decided_at timestamptz,
  -- The ledger transfer of a credit, or the provider's refund.
  transfer_id bigint references transfers (id),
  refund_id text,
  created_at timestamptz not null default now(),
  check ((status = 'open') = (decision is null)),
  check (decision is distinct from 'credit' or transfer_id is not null),
  check (decision is distinct from 'refund' or refund_id is not null)
);
create index payment_exceptions_by_status on payment_exceptions (status, sequence);
create index payment_exceptions_by_order on payment_exceptions (order_id);

-- Webhook events may now end as a payment exception.
alter table stripe_events drop constraint stripe_events_outcome_check;
alter table stripe_events add constraint stripe_events_outcome_check
  check (outcome in ('delivered', 'unknown_order', 'order_closed', 'ignored_type', 'flagged_for_review', 'payment_exception'));
