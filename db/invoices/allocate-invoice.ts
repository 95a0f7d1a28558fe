// Numbers an order's invoice and records it, in one transaction, once per order.
//
// Gap-free and unique: the series' counter row is locked `for update`, then incremented in the same
// transaction that inserts the invoice, so a rollback takes the number back with the row, and
// concurrent issues queue on the lock. The order id is looked up again after the lock is held, so a
// concurrent or retried issue for the same order finds the first one's invoice instead of numbering
// a second.
import type { Sql, TransactionSql } from '../client.ts';
import { formatInvoiceNumber } from '../../domain/invoices.ts';
import { rechargeIdempotencyKey } from '../ledger/record-recharge.ts';
import { invoiceColumns, type InvoiceRow } from './invoice-row.ts';

export interface InvoiceIssuer {
  /** The series: INVOICE_NUMBER_PREFIX, e.g. RF. */
  numberPrefix: string;
  name: string;
  address: string;
  taxId: string;
}

export interface AllocateInvoiceInput {
  orderId: string;
  issuer: InvoiceIssuer;
  /** When the invoice is issued; its UTC year chooses the sequence. Used only if the invoice is new. */
  issuedAt: Date;
}

export type AllocateInvoiceResult =
  | { outcome: 'issued'; created: boolean; invoice: InvoiceRow }
  /** The order does not exist or has not been credited: there is nothing to invoice. */
  | { outcome: 'order_not_credited' };

export async function allocateInvoice(sql: Sql, input: AllocateInvoiceInput): Promise<AllocateInvoiceResult> {
  return sql.begin(async (transaction) => {
    // A retry usually finds its invoice here, without touching the series' lock.
    const existing = await findInvoice(transaction, input.orderId);
    if (existing !== null) return { outcome: 'issued' as const, created: false, invoice: existing };

    const year = input.issuedAt.getUTCFullYear();
    const issuer = input.issuer.numberPrefix;
    await transaction`
      insert into invoice_counters (issuer, year) values (${issuer}, ${year}) on conflict do nothing`;
    await transaction`select 1 from invoice_counters where issuer = ${issuer} and year = ${year} for update`;
    // Read committed: this statement sees what a concurrent issue for the same order committed while
    // this transaction waited for the lock.
    const committedMeanwhile = await findInvoice(transaction, input.orderId);
    if (committedMeanwhile !== null) return { outcome: 'issued' as const, created: false, invoice: committedMeanwhile };

    const [order] = await transaction<{ id: string }[]>`
      select id from orders where id = ${input.orderId} and status = 'succeeded' and credited_at is not null`;
    if (order === undefined) return { outcome: 'order_not_credited' as const };

    const [counter] = await transaction<{ last_number: bigint }[]>`
      update invoice_counters set last_number = last_number + 1
      where issuer = ${issuer} and year = ${year}
      returning last_number`;
    const number = formatInvoiceNumber(issuer, year, counter!.last_number);
    // What was paid and credited comes from the order's recharge transfer in the ledger, not from its
    // quote: ops may have confirmed a bank transfer with a corrected credit (migration 0016). The quote's
    // figures and the reason are kept beside them when they differ.
    const [invoice] = await transaction<InvoiceRow[]>`
      with posted as (
        select t.metadata,
               (select e.amount_micros from entries e join ledger_accounts l on l.id = e.ledger_account_id
                where e.transfer_id = t.id and l.kind = 'customer_balance') as credit_micros,
               (select -e.amount_micros from entries e join ledger_accounts l on l.id = e.ledger_account_id
                where e.transfer_id = t.id and l.kind = 'payment_clearing') as pay_amount_micros
        from transfers t where t.idempotency_key = ${rechargeIdempotencyKey(input.orderId)}
      )
      insert into invoices (number, issuer, year, sequence_number, order_id, account_id, issued_at, issuer_name,
                            issuer_address, issuer_tax_id, customer_email, currency, amount_micros, discount_micros,
                            pay_amount_micros, bonus_micros, credit_micros, payment_method, provider_payment_id,
                            promo_code, transfer_reference, remitter_name, remitter_bank_name,
                            quoted_pay_amount_micros, quoted_credit_micros, credit_correction_reason)
      select ${number}, ${issuer}, ${year}, ${counter!.last_number.toString()}, o.id, o.account_id, ${input.issuedAt},
             ${input.issuer.name}, ${input.issuer.address}, ${input.issuer.taxId}, a.email, o.currency,
             o.amount_micros, o.discount_micros, coalesce(p.pay_amount_micros, o.pay_amount_micros), o.bonus_micros,
             coalesce(p.credit_micros, o.credit_micros), o.payment_method, o.provider_payment_id,
             o.promo_code, o.transfer_reference, o.remitter_name, o.remitter_bank_name,
             case when c.corrected then o.pay_amount_micros end, case when c.corrected then o.credit_micros end,
             case when c.corrected then coalesce(nullif(p.metadata->>'correction_reason', ''), 'corrected by ops') end
      from orders o join accounts a on a.id = o.account_id
      left join posted p on true
      cross join lateral (select coalesce(p.metadata ? 'corrected_credit', false) as corrected) c
      where o.id = ${input.orderId}
      returning ${transaction(invoiceColumns)}`;
    return { outcome: 'issued' as const, created: true, invoice: invoice! };
  });
}

async function findInvoice(transaction: TransactionSql, orderId: string): Promise<InvoiceRow | null> {
  const [row] = await transaction<InvoiceRow[]>`
    select ${transaction(invoiceColumns)} from invoices where order_id = ${orderId}`;
  return row ?? null;
}
