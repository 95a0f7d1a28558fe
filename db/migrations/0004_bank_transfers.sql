-- Bank transfer top-ups: the customer transfers the pay amount to the company's account, writing the
-- order's transfer reference in the note; a person at ops finds the transfer on the bank statement and
-- confirms or rejects it.
--
-- The order row keeps what the customer was told (the payee account and the reference) and what the
-- customer told us (the remitter), so the order's durable copy stays one row. Every step a person takes
-- is an order action, recorded once per order and kind, and never changed afterwards.

alter table orders
  add column transfer_reference text unique
    check (transfer_reference ~ '^RF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$'),
  add column payee_bank_name text check (length(payee_bank_name) between 1 and 200),
  add column payee_account_name text check (length(payee_account_name) between 1 and 200),
  add column payee_account_number text check (length(payee_account_number) between 1 and 100),
  add column remitter_name text check (length(remitter_name) between 1 and 100),
  add column remitter_bank_name text check (length(remitter_bank_name) between 1 and 100),
  add column remitter_remarks text check (length(remitter_remarks) <= 200),
  -- A bank transfer order always has its reference and both parties; other orders have none of them.
  add constraint orders_bank_transfer_details check (
    (payment_method = 'bank_transfer') = (
      transfer_reference is not null and payee_bank_name is not null and payee_account_name is not null
      and payee_account_number is not null and remitter_name is not null and remitter_bank_name is not null)
    and (payment_method = 'bank_transfer' or remitter_remarks is null)
  );

-- The ops view: open orders of one payment method, oldest first.
create index orders_by_payment_method_status on orders (payment_method, status, sequence);

create table order_actions (
  id bigint generated always as identity primary key,
  order_id text not null references orders (id),
  action text not null check (action in ('start_review', 'confirm_transfer', 'reject_transfer', 'cancel', 'resolve_review')),
  -- The X-Operator header of the ops request ('admin' without one), or 'customer'.
  actor text not null check (length(actor) between 1 and 100),
  reason text check (length(reason) <= 1000),
  -- The action's details, e.g. the amount received and the bank's reference of a confirmation.
  payload jsonb not null default '{}'::jsonb,
  -- When the order's workflow accepted the action; recorded_at is when this row was written.
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  -- Each kind of action happens at most once per order: a retried activity records nothing more.
  unique (order_id, action)
);

create function refuse_order_action_change() returns trigger language plpgsql as $$
begin
  raise exception 'order actions are immutable: % refused', lower(tg_op) using errcode = 'RF920';
end
$$;

create trigger order_actions_are_immutable before update or delete on order_actions
  for each row execute function refuse_order_action_change();
create trigger order_actions_are_not_truncated before truncate on order_actions
  for each statement execute function refuse_order_action_change();
