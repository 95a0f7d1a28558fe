// The credit_notes table's row (migration 0011).
import type { Currency } from '../../domain/money.ts';

export interface CreditNoteRow {
  id: bigint;
  number: string;
  year: number;
  sequence_number: bigint;
  refund_id: string;
  order_id: string;
  account_id: string;
  invoice_number: string | null;
  issued_at: Date;
  issuer_name: string;
  issuer_address: string;
  issuer_tax_id: string;
  customer_email: string;
  currency: Currency;
  amount_micros: bigint;
  credit_removed_micros: bigint;
  reason: string;
  pdf: Buffer | null;
  pdf_sha256: Buffer | null;
  email_status: 'pending' | 'sending' | 'sent' | 'failed';
  email_message_id: string | null;
  email_failure: string | null;
}
