-- Invoices: one numbered, immutable PDF per credited order, and the record of its email.
--
-- Numbers come from a gap-free sequence per issuer series and calendar year (UTC): RF-2026-000123.
-- A Postgres sequence would leave gaps on rollback, so the next number is a counter row, locked
-- `for update` and incremented in the same transaction that inserts the invoice: either both commit
-- or neither does. The order id is unique, so an order has at most one invoice and one number.

create table invoice_counters (
  -- The series: the invoice number prefix of the issuer (INVOICE_NUMBER_PREFIX).
  issuer text not null check (issuer ~ '^[A-Z]{1,8}$'),
  year integer not null check (year between 2000 and 9999),
  last_number bigint not null default 0 check (last_number >= 0),
  primary key (issuer, year)
);

create table invoices (
  -- Position in issue order, for stable pagination.
  id bigint generated always as identity primary key,
  number text not null unique,
  issuer text not null,
  year integer not null,
  sequence_number bigint not null check (sequence_number > 0),
  order_id text not null unique references orders (id),
  account_id text not null references accounts (id),
  issued_at timestamptz not null,
  -- The issuer's and the customer's details as they were when the invoice was issued: the PDF is
  -- rendered from this row alone, so a later change of configuration or email cannot change it.
  issuer_name text not null,
  issuer_address text not null,
  issuer_tax_id text not null,
  customer_email text not null,
  currency text not null check (currency in ('USD', 'CNY')),
  amount_micros bigint not null check (amount_micros > 0),
  discount_micros bigint not null check (discount_micros >= 0),
  pay_amount_micros bigint not null check (pay_amount_micros > 0),
  bonus_micros bigint not null check (bonus_micros >= 0),
  credit_micros bigint not null,
  payment_method text not null check (payment_method in ('stripe', 'bank_transfer')),
  provider_payment_id text,
  -- Stored by the issuing activity right after the row; null only in between (a crash there is
  -- finished by the activity's retry, which renders the same bytes from this row).
  pdf bytea,
  pdf_sha256 bytea check (length(pdf_sha256) = 32),
  email_status text not null default 'pending' check (email_status in ('pending', 'sent', 'failed')),
  -- The Message-ID of the mail, recorded right after the SMTP server accepted it.
  email_message_id text,
  email_sent_at timestamptz,
  -- Why the last delivery failed after all its retries, for a person to act on.
  email_failure text check (length(email_failure) <= 1000),
  email_updated_at timestamptz,
  unique (issuer, year, sequence_number),
  foreign key (issuer, year) references invoice_counters (issuer, year),
  check ((pdf is null) = (pdf_sha256 is null)),
  check (pay_amount_micros = amount_micros - discount_micros),
  check (credit_micros = amount_micros + bonus_micros),
  check ((email_status = 'sent') = (email_message_id is not null))
);
create index invoices_by_account on invoices (account_id, id desc);
create index invoices_email_failed on invoices (id) where email_status = 'failed';

-- What an invoice says never changes once written: its number, amounts and parties from the insert,
-- its PDF from the moment it is stored. Only the email columns move.
create function refuse_invoice_change() returns trigger language plpgsql as $$
begin
  if tg_op in ('DELETE', 'TRUNCATE') then
    raise exception 'invoices are immutable: % refused', lower(tg_op) using errcode = 'RF910';
  end if;
  if (new.number, new.issuer, new.year, new.sequence_number, new.order_id, new.account_id, new.issued_at,
      new.issuer_name, new.issuer_address, new.issuer_tax_id, new.customer_email, new.currency,
      new.amount_micros, new.discount_micros, new.pay_amount_micros, new.bonus_micros, new.credit_micros,
      new.payment_method, new.provider_payment_id)
     is distinct from
     (old.number, old.issuer, old.year, old.sequence_number, old.order_id, old.account_id, old.issued_at,
      old.issuer_name, old.issuer_address, old.issuer_tax_id, old.customer_email, old.currency,
      old.amount_micros, old.discount_micros, old.pay_amount_micros, old.bonus_micros, old.credit_micros,
      old.payment_method, old.provider_payment_id) then
    raise exception 'invoice % is immutable: its number and contents cannot change', old.number
      using errcode = 'RF910';
  end if;
  if old.pdf is not null and (new.pdf, new.pdf_sha256) is distinct from (old.pdf, old.pdf_sha256) then
    raise exception 'invoice % is immutable: its PDF cannot change once stored', old.number
      using errcode = 'RF910';
  end if;
  return new;
end
$$;

create trigger invoices_are_immutable before update or delete on invoices
  for each row execute function refuse_invoice_change();
create trigger invoices_are_not_truncated before truncate on invoices
  for each statement execute function refuse_invoice_change();
