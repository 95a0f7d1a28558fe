// Activities of bank transfer orders: recording the order with its reference, recording ops actions,
// and the customer's emails. Each is safe to retry.
import { insertBankTransferOrder, type InsertBankTransferOrderResult } from '../db/orders/insert-bank-transfer-order.ts';
import { recordOrderAction, type OrderActionRecord } from '../db/orders/record-order-action.ts';
import type { BankTransferOrderRecord } from '../domain/bank-transfers.ts';
import { failure } from '../domain/failures.ts';
import type { OrderSnapshot } from '../domain/orders.ts';
import { newTransferReference } from '../ids/transfer-references.ts';
import { orderTransitions } from '../observability/metrics.ts';
import { whileHeartbeating } from './activity-context.ts';
import type { ActivityDependencies } from './index.ts';
import { composeBankTransferEmail, type BankTransferEmailKind } from './bank-transfers/compose-bank-transfer-email.ts';
import { newOrderRow } from './orders.ts';

export interface BankTransferEmailInput {
  order: OrderSnapshot;
  customerEmail: string;
  utcOffsetMinutes: number;
}

/** SMTP 5xx replies (no such mailbox, policy refusal) will not change on retry; 4xx and network errors may. */
function isPermanentSmtpRefusal(error: unknown): boolean {
  const responseCode = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
}

/** The bank transfer activities, wired to the worker's database, mail transport and sender address. */
export function createBankTransferActivities({ sql, logger, mailTransport, invoices }: ActivityDependencies) {
  async function sendEmail(kind: BankTransferEmailKind, input: BankTransferEmailInput): Promise<void> {
    const mail = composeBankTransferEmail({ kind, ...input, mailFrom: invoices.mailFrom });
    try {
      await whileHeartbeating(() => mailTransport.sendMail(mail));
    } catch (error) {
      if (!isPermanentSmtpRefusal(error)) throw error;
      throw failure('email_rejected', `The mail server refused the bank transfer ${kind} email: ${(error as Error).message}`, error as Error);
    }
    logger.info({ orderId: input.order.orderId, kind, messageId: mail.messageId }, 'bank transfer email sent');
  }

  return {
    /** Inserts the bank transfer order with a fresh unique reference (or returns the one a retry finds). */
    async recordBankTransferOrder(record: BankTransferOrderRecord): Promise<InsertBankTransferOrderResult> {
      const result = await insertBankTransferOrder(sql, { ...newOrderRow(record), payee: record.payee, remitter: record.remitter }, newTransferReference);
      if (!result.ok) logger.info({ orderId: record.orderId, refusal: result.refusal.code }, 'order refused');
      else orderTransitions.inc({ payment_method: 'bank_transfer', from: 'none', to: 'pending' });
      return result;
    },

    /** Records a step a person took on an order, once per order and kind. */
    async recordOrderAction(record: OrderActionRecord): Promise<void> {
      const recorded = await recordOrderAction(sql, record);
      logger.info({ orderId: record.orderId, action: record.action, actor: record.actor, recorded }, 'order action recorded');
    },

    /**
     * Tells the customer, once the order is recorded, where to transfer, how much and with which
     * reference. A retry sends the same message under the same Message-ID (one per order and kind).
     */
    async sendBankTransferInstructions(input: BankTransferEmailInput): Promise<void> {
      await sendEmail('instructions', input);
    },

    /** Reminds the customer, on the last day, where to transfer and with which reference. */
    async sendBankTransferReminder(input: BankTransferEmailInput): Promise<void> {
      await sendEmail('reminder', input);
    },

    /** Tells the customer that ops rejected the transfer, and why. */
    async sendBankTransferRejection(input: BankTransferEmailInput): Promise<void> {
      await sendEmail('rejection', input);
    },
  };
}
