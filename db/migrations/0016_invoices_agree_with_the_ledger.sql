-- Invoices that agree with the ledger, and say what a bank transfer invoice must say.
--
-- An invoice is a snapshot, rendered from its row alone. Until now the row copied the order's quote, so a
-- bank transfer that ops confirmed with a corrected credit was invoiced (and emailed) with the quoted
-- credit while the ledger credited the corrected one. From this migration on, the issuing transaction
-- copies what the ledger's recharge transfer of the order posted: credit_micros is the credit on the
-- customer's balance and pay_amount_micros what was received; when ops corrected the credit, the quote's
-- figures and the reason are kept beside them, so the invoice shows the correction as such. Invoices
-- issued before keep their rows (and PDFs) as they were: invoices are immutable.
--
-- The promo code and, for bank transfers, the transfer reference, the remitter and the remitter's bank
-- are copied too (the bank's own reference of the received transfer is already provider_payment_id).

alter table invoices
  add column promo_code text check (length(promo_code) <= 40),
  add column transfer_reference text check (length(transfer_reference) <= 40),
  add column remitter_name text check (length(remitter_name) <= 100),
  add column remitter_bank_name text check (length(remitter_bank_name) <= 100),
  add column quoted_pay_amount_micros bigint check (quoted_pay_amount_micros > 0),
  add column quoted_credit_micros bigint,
  add column credit_correction_reason text check (length(credit_correction_reason) <= 1000),
  -- A correction has all three of its fields, or none.
  add constraint invoices_credit_correction check (
    (quoted_credit_micros is null) = (credit_correction_reason is null)
    and (quoted_credit_micros is null) = (quoted_pay_amount_micros is null)
  );

-- The quote's identities (pay = amount - discount, credit = amount + bonus) hold for the invoiced figures
-- unless ops corrected the credit; then they hold for the quote kept beside them. Migration 0003 named
-- these two checks invoices_check1 and invoices_check2 (PostgreSQL's names for its 2nd and 3rd).
alter table invoices drop constraint invoices_check1, drop constraint invoices_check2;
alter table invoices add constraint invoices_figures_as_quoted check (
  quoted_credit_micros is not null
  or (pay_amount_micros = amount_micros - discount_micros and credit_micros = amount_micros + bonus_micros)
);
alter table invoices add constraint invoices_quote_of_a_correction check (
  quoted_credit_micros is null
  or (quoted_pay_amount_micros = amount_micros - discount_micros and quoted_credit_micros = amount_micros + bonus_micros)
);

-- The new columns are part of what an invoice says: immutable like the rest (refuse_invoice_change of
-- 0003 covers the columns it knew).
create function refuse_invoice_document_change() returns trigger language plpgsql as $$
begin
  if (new.promo_code, new.transfer_reference, new.remitter_name, new.remitter_bank_name,
      new.quoted_pay_amount_micros, new.quoted_credit_micros, new.credit_correction_reason)
     is distinct from
     (old.promo_code, old.transfer_reference, old.remitter_name, old.remitter_bank_name,
      old.quoted_pay_amount_micros, old.quoted_credit_micros, old.credit_correction_reason) then
    raise exception 'invoice % is immutable: its contents cannot change', old.number using errcode = 'RF910';
  end if;
  return new;
end
$$;

create trigger invoice_documents_are_immutable before update on invoices
  for each row execute function refuse_invoice_document_change();

-- Operator names may be written in any script now (config/admin-operators.ts: lower-case letters of
-- any script, letters without case such as Chinese, digits, ".", "_", "-"), so the audit log takes them:
-- any text of 1 to 64 characters without white space or control characters, as the configuration
-- checks the rest before a name can reach this table.
alter table admin_audit_log drop constraint admin_audit_log_operator_check;
alter table admin_audit_log add constraint admin_audit_log_operator_check
  check (char_length(operator) between 1 and 64 and operator !~ '[[:space:][:cntrl:]]');
