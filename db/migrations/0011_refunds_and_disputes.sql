-- Money going back: refunds (asked for by a customer, started by ops, or made at the provider's
-- dashboard), credit notes, disputes (chargebacks), the customer debt a dispute can leave, and the
-- restriction of an account with an open dispute.
--
-- A refund returns part of an order's pay amount and takes back the same share of its credit
-- (credit_removed). Its row is written by its workflow (refund-<refund id>) once the API has inserted it;
-- a dispute's by its workflow (dispute-<provider dispute id>). Credit notes are numbered like invoices:
-- a counter row locked `for update` in the transaction that inserts the note, so the series has no gaps.

-- A customer's debt: what a dispute took back beyond what the balance held. It is a receivable on the
-- platform's side, kept apart from the balance so that the balance never goes below zero: its own
-- ledger account per customer ('debt:<account id>'), whose balance is zero or negative (what is owed)
-- and which the books still sum to zero with.
do $$
declare
  v_name text;
begin
  for v_name in
    select conname from pg_constraint
    where conrelid = 'ledger_accounts'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%kind%'
  loop
    execute format('alter table ledger_accounts drop constraint %I', v_name);
  end loop;
  for v_name in
    select conname from pg_constraint
    where conrelid = 'transfers'::regclass and contype = 'c' and pg_get_constraintdef(oid) like '%flow_type%'
  loop
    execute format('alter table transfers drop constraint %I', v_name);
  end loop;
end
$$;

alter table ledger_accounts
  add constraint ledger_accounts_kind_check
    check (kind in ('customer_balance', 'payment_clearing', 'promotional', 'usage_revenue', 'refunds', 'customer_debt')),
  add constraint ledger_accounts_customer_owned
    check ((kind in ('customer_balance', 'customer_debt')) = (account_id is not null)),
  add constraint ledger_accounts_balance_may_not_go_negative
    check ((kind = 'customer_balance') = (not may_go_negative)),
  add constraint ledger_accounts_debt_is_not_positive
    check (kind <> 'customer_debt' or balance_micros <= 0);
create unique index ledger_accounts_one_debt_per_customer on ledger_accounts (account_id) where kind = 'customer_debt';

-- refund: credit taken back for a refund; refund_reversal: given back when the provider refused it;
-- dispute / dispute_reversal: taken back for a dispute, and given back when the dispute was won.
alter table transfers add constraint transfers_flow_type_check
  check (flow_type in ('recharge', 'consume', 'refund', 'adjustment', 'refund_reversal', 'dispute', 'dispute_reversal'));

create table refunds (
  id text primary key check (id ~ '^rfd_[0-9a-z]{24}$'),
  -- Position in creation order, for stable pagination.
  sequence bigint generated always as identity unique,
  order_id text not null references orders (id),
  account_id text not null references accounts (id),
  -- customer: POST /v1/topups/{id}/refund-requests; ops: POST /admin/topups/{id}/refunds; provider: a
  -- refund made at the provider (its dashboard) that Refill learnt of from an event.
  requested_by text not null check (requested_by in ('customer', 'ops', 'provider')),
  -- The operator who started it (ops), or null.
  requested_by_operator text check (length(requested_by_operator) between 1 and 100),
  -- The client's Idempotency-Key (customer and ops refunds); the id is derived from it.
  idempotency_key text check (length(idempotency_key) between 1 and 300),
  request_hash text,
  status text not null check (status in ('requested', 'approved', 'rejected', 'processing', 'succeeded', 'failed')),
  currency text not null check (currency in ('USD', 'CNY')),
  amount_micros bigint not null check (amount_micros > 0),
  credit_removed_micros bigint not null check (credit_removed_micros >= 0),
  reason text not null check (length(reason) between 1 and 1000),
  -- Who approved or rejected it ('policy' for the automatic rule), why, and when.
  decided_by text check (length(decided_by) between 1 and 100),
  decision_reason text check (length(decision_reason) <= 1000),
  decided_at timestamptz,
  -- The provider's refund (re_…), or the bank's reference of ops' payout of a bank transfer order.
  provider_refund_id text unique check (length(provider_refund_id) between 1 and 255),
  bank_reference text check (length(bank_reference) between 1 and 200),
  -- The credit taken back, and (when the provider refused) the transfer that gave it back.
  transfer_id bigint references transfers (id),
  reversal_transfer_id bigint references transfers (id),
  -- What the balance could not cover of a provider-made refund: recorded as the account's debt.
  debt_micros bigint not null default 0 check (debt_micros >= 0),
  failure_reason text check (length(failure_reason) <= 1000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  succeeded_at timestamptz,
  unique (account_id, idempotency_key),
  check ((status = 'succeeded') = (succeeded_at is not null)),
  check (reversal_transfer_id is null or (transfer_id is not null and status = 'failed')),
  check (status <> 'succeeded' or transfer_id is not null or credit_removed_micros = 0)
);
create index refunds_by_order on refunds (order_id);
create index refunds_by_account on refunds (account_id, sequence desc);
create index refunds_by_status on refunds (status, sequence);

create table credit_note_counters (
  year integer primary key check (year between 2000 and 9999),
  last_number bigint not null default 0 check (last_number >= 0)
);

-- One numbered, immutable credit note per succeeded refund: CN-2026-000001, referring to the invoice.
create table credit_notes (
  id bigint generated always as identity primary key,
  number text not null unique,
  year integer not null references credit_note_counters (year),
  sequence_number bigint not null check (sequence_number > 0),
  refund_id text not null unique references refunds (id),
  order_id text not null references orders (id),
  account_id text not null references accounts (id),
  -- The original invoice's number, when the order had one.
  invoice_number text,
  issued_at timestamptz not null,
  issuer_name text not null,
  issuer_address text not null,
  issuer_tax_id text not null,
  customer_email text not null,
  currency text not null check (currency in ('USD', 'CNY')),
  amount_micros bigint not null check (amount_micros > 0),
  credit_removed_micros bigint not null check (credit_removed_micros >= 0),
  reason text not null,
  pdf bytea,
  pdf_sha256 bytea check (length(pdf_sha256) = 32),
  email_status text not null default 'pending' check (email_status in ('pending', 'sending', 'sent', 'failed')),
  email_message_id text,
  email_failure text check (length(email_failure) <= 1000),
  unique (year, sequence_number),
  check ((pdf is null) = (pdf_sha256 is null)),
  check ((email_status = 'sent') = (email_message_id is not null))
);

-- A credit note's number, contents and (once stored) PDF never change; only its email columns move.
create function refuse_credit_note_change() returns trigger language plpgsql as $$
begin
  if tg_op in ('DELETE', 'TRUNCATE') then
    raise exception 'credit notes are immutable: % refused', lower(tg_op) using errcode = 'RF930';
  end if;
  if (new.number, new.year, new.sequence_number, new.refund_id, new.order_id, new.account_id, new.invoice_number,
      new.issued_at, new.issuer_name, new.issuer_address, new.issuer_tax_id, new.customer_email, new.currency,
      new.amount_micros, new.credit_removed_micros, new.reason)
     is distinct from
     (old.number, old.year, old.sequence_number, old.refund_id, old.order_id, old.account_id, old.invoice_number,
      old.issued_at, old.issuer_name, old.issuer_address, old.issuer_tax_id, old.customer_email, old.currency,
      old.amount_micros, old.credit_removed_micros, old.reason)
     or (old.pdf is not null and (new.pdf, new.pdf_sha256) is distinct from (old.pdf, old.pdf_sha256)) then
    raise exception 'credit note % is immutable', old.number using errcode = 'RF930';
  end if;
  return new;
end
$$;

create trigger credit_notes_are_immutable before update or delete on credit_notes
  for each row execute function refuse_credit_note_change();
create trigger credit_notes_are_not_truncated before truncate on credit_notes
  for each statement execute function refuse_credit_note_change();

create table disputes (
  -- The provider's dispute id (dp_…).
  id text primary key check (length(id) between 1 and 255),
  sequence bigint generated always as identity unique,
  order_id text not null references orders (id),
  account_id text not null references accounts (id),
  status text not null check (status in ('open', 'won', 'lost')),
  currency text not null check (currency in ('USD', 'CNY')),
  amount_micros bigint not null check (amount_micros > 0),
  -- What the dispute took back: from the balance (at most what it held), and the rest as debt.
  credit_taken_micros bigint not null default 0 check (credit_taken_micros >= 0),
  debt_micros bigint not null default 0 check (debt_micros >= 0),
  transfer_id bigint references transfers (id),
  reversal_transfer_id bigint references transfers (id),
  provider_reason text check (length(provider_reason) <= 200),
  opened_at timestamptz not null default now(),
  closed_at timestamptz,
  check ((status = 'open') = (closed_at is null)),
  check (reversal_transfer_id is null or status = 'won')
);
create index disputes_by_status on disputes (status, sequence);
create index disputes_by_account on disputes (account_id) where status = 'open';

-- An account is restricted (no deductions, no new top-ups) while it has a restriction not lifted.
-- A dispute opens one (id: 'dispute:<dispute id>') and lifts its own when won; ops lift any, with a reason.
create table account_restrictions (
  id text primary key check (length(id) between 1 and 300),
  account_id text not null references accounts (id),
  reason text not null check (length(reason) between 1 and 1000),
  created_at timestamptz not null default now(),
  lifted_at timestamptz,
  lifted_by text check (length(lifted_by) between 1 and 100),
  lift_reason text check (length(lift_reason) <= 1000),
  check ((lifted_at is null) = (lifted_by is null))
);
create index account_restrictions_in_force on account_restrictions (account_id) where lifted_at is null;

alter table stripe_events drop constraint stripe_events_outcome_check;
alter table stripe_events add constraint stripe_events_outcome_check
  check (outcome in ('delivered', 'unknown_order', 'order_closed', 'ignored_type', 'flagged_for_review', 'payment_exception',
                     'ignored_duplicate', 'refund_delivered', 'refund_recorded', 'refund_closed', 'dispute_delivered', 'dispute_closed'));
