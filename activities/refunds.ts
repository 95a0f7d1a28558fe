// Activities of the refund and dispute workflows: the refund's row and its ledger transfers (each in one
// transaction with the row it changes), the provider's refund, the credit note (number, PDF, email), and
// the emails to the customer and to ops. Each is safe to retry: transfers are keyed by the refund or the
// dispute, the provider call by the refund's idempotency key, the credit note by the refund.
import { createHash } from 'node:crypto';
import { allocateCreditNote } from '../db/credit-notes/allocate-credit-note.ts';
import { claimCreditNoteEmail, recordCreditNoteEmail } from '../db/credit-notes/credit-note-email.ts';
import { getCreditNote } from '../db/credit-notes/get-credit-note.ts';
import { storeCreditNotePdf } from '../db/credit-notes/store-credit-note-pdf.ts';
import { closeDispute } from '../db/disputes/close-dispute.ts';
import { openDispute } from '../db/disputes/open-dispute.ts';
import { LedgerError } from '../db/ledger/post-transfer.ts';
import { restoreRefundCredit } from '../db/refunds/restore-refund-credit.ts';
import { saveRefundState } from '../db/refunds/save-refund-state.ts';
import { takeRefundCredit, type TakeRefundCreditResult } from '../db/refunds/take-refund-credit.ts';
import { failure } from '../domain/failures.ts';
import { microsFromDecimal, microsToMinorUnits } from '../domain/money.ts';
import { providerRefundIdempotencyKey, type DisputeStatus, type DisputeWorkflowInput, type RefundSnapshot } from '../domain/refunds.ts';
import { currentActivityAttempt, whileHeartbeating } from './activity-context.ts';
import type { ActivityDependencies } from './index.ts';
import { provablyNotHandedOver } from './invoices.ts';
import { PermanentProviderError, type RefundPaymentResult } from './payments/provider.ts';
import { composeCreditNoteEmail, composePayoutReminderEmail, composeRefundFailedEmail } from './refunds/compose-refund-emails.ts';
import { renderCreditNotePdf } from './refunds/render-credit-note-pdf.ts';

export interface OpenDisputeActivityInput extends DisputeWorkflowInput {
  amount: string;
  providerReason: string | null;
  alreadyWon: boolean;
}

export function createRefundActivities({ sql, paymentProvider, logger, mailTransport, invoices }: ActivityDependencies) {
  async function callProvider<Result>(refund: RefundSnapshot, call: () => Promise<Result>): Promise<Result> {
    try {
      return await call();
    } catch (error) {
      logger.warn({ orderId: refund.orderId, refundId: refund.refundId, provider: paymentProvider.name, err: error }, 'refund provider call failed');
      if (error instanceof PermanentProviderError) throw failure('provider_rejected', error.message, error);
      throw error;
    }
  }

  return {
    /** Saves the refund as its workflow holds it. */
    async saveRefund(refund: RefundSnapshot): Promise<void> {
      await saveRefundState(sql, refund);
    },

    /** Takes the refund's credit back and saves it, once; a balance that no longer covers it is a permanent refusal. */
    async takeRefundCredit(refund: RefundSnapshot): Promise<TakeRefundCreditResult> {
      try {
        const taken = await takeRefundCredit(sql, refund);
        logger.info({ orderId: refund.orderId, refundId: refund.refundId, ...taken }, 'refund credit taken back');
        return taken;
      } catch (error) {
        if (error instanceof LedgerError && error.code === 'insufficient_balance') throw failure('refund_credit_refused', error.message, error);
        throw error;
      }
    },

    /** Asks the provider to refund (once, by the refund's idempotency key). */
    async refundAtProvider(refund: RefundSnapshot): Promise<RefundPaymentResult> {
      const paymentId = refund.providerPaymentId;
      if (paymentId === null) throw failure('provider_rejected', `order ${refund.orderId} names no provider payment to refund`);
      const result = await callProvider(refund, () =>
        paymentProvider.refundPayment({
          providerPaymentId: paymentId,
          idempotencyKey: providerRefundIdempotencyKey(refund.refundId),
          amountMinorUnits: microsToMinorUnits(microsFromDecimal(refund.amount), refund.currency),
          metadata: { order_id: refund.orderId, refund_id: refund.refundId },
        }),
      );
      logger.info({ orderId: refund.orderId, refundId: refund.refundId, providerRefundId: result.refundId, status: result.status }, 'refund asked of the provider');
      return result;
    },

    /** The provider's current word on a refund that was not final. */
    async retrieveProviderRefund(refund: RefundSnapshot): Promise<RefundPaymentResult> {
      const providerRefundId = refund.providerRefundId;
      if (providerRefundId === null) throw failure('provider_rejected', `refund ${refund.refundId} has no provider refund to look up`);
      return callProvider(refund, () => paymentProvider.retrieveRefund(providerRefundId));
    },

    /** Gives the credit back and saves the refund failed, in one transaction, once. */
    async restoreRefundCredit(failed: RefundSnapshot): Promise<string | null> {
      const reversal = await restoreRefundCredit(sql, failed);
      logger.warn({ orderId: failed.orderId, refundId: failed.refundId, reversal, reason: failed.failureReason }, 'refund failed; credit given back');
      return reversal;
    },

    /** Tells the customer the refund failed and why (at least once: a notice, with a Message-ID a mail client dedupes). */
    async sendRefundFailedEmail(refund: RefundSnapshot): Promise<void> {
      await whileHeartbeating(() => mailTransport.sendMail(composeRefundFailedEmail(refund, invoices.mailFrom)));
    },

    /** Reminds ops of a bank payout they have not confirmed. */
    async remindOpsOfPayout(refund: RefundSnapshot): Promise<void> {
      await whileHeartbeating(() => mailTransport.sendMail(composePayoutReminderEmail(refund, invoices.mailFrom, invoices.opsEmail ?? invoices.mailFrom)));
    },

    /** Numbers the succeeded refund's credit note and stores its PDF; a retry returns the same note. */
    async issueCreditNote(input: { refundId: string }): Promise<{ creditNoteNumber: string }> {
      return whileHeartbeating(async () => {
        const allocation = await allocateCreditNote(sql, { refundId: input.refundId, issuer: invoices.issuer, issuedAt: new Date() });
        if (allocation.outcome !== 'issued') throw failure('refund_not_succeeded', `refund ${input.refundId} has not succeeded`);
        const note = allocation.creditNote;
        if (note.pdf_sha256 === null) {
          const pdf = await renderCreditNotePdf(note);
          await storeCreditNotePdf(sql, { number: note.number, pdf, pdfSha256: createHash('sha256').update(pdf).digest() });
        }
        logger.info({ orderId: note.order_id, refundId: input.refundId, creditNoteNumber: note.number }, 'credit note issued');
        return { creditNoteNumber: note.number };
      });
    },

    /** Emails the credit note at most once, as the invoice email is (see activities/invoices.ts). */
    async sendCreditNoteEmail(input: { refundId: string }): Promise<{ messageId: string }> {
      return whileHeartbeating(async () => {
        const note = await getCreditNote(sql, input.refundId, null);
        if (note === null || note.pdf === null) throw failure('refund_not_succeeded', `refund ${input.refundId} has no credit note`);
        const mail = composeCreditNoteEmail({ ...note, pdf: note.pdf }, invoices.mailFrom, invoices.publicBaseUrl);
        const claim = await claimCreditNoteEmail(sql, note.number);
        if (claim.outcome === 'sent') return { messageId: claim.messageId };
        if (claim.outcome === 'unaccounted') {
          throw failure('email_outcome_unknown', `An earlier attempt was sending credit note ${note.number}; look for ${mail.messageId} in the mail log.`);
        }
        try {
          await mailTransport.sendMail(mail);
        } catch (error) {
          if (provablyNotHandedOver(error)) await recordCreditNoteEmail(sql, note.number, { status: 'pending' });
          throw error;
        }
        await recordCreditNoteEmail(sql, note.number, { status: 'sent', messageId: mail.messageId });
        logger.info({ refundId: input.refundId, creditNoteNumber: note.number, attempt: currentActivityAttempt() }, 'credit note email sent');
        return { messageId: mail.messageId };
      });
    },

    async recordCreditNoteEmailFailed(input: { refundId: string; reason: string }): Promise<void> {
      const note = await getCreditNote(sql, input.refundId, null);
      if (note !== null) await recordCreditNoteEmail(sql, note.number, { status: 'failed', reason: input.reason });
      logger.error({ refundId: input.refundId, reason: input.reason }, 'credit note email failed');
    },

    /** Opens the dispute (row, restriction, take-back), once. */
    async openDispute(input: OpenDisputeActivityInput): Promise<{ status: DisputeStatus }> {
      const row = await openDispute(sql, { ...input, amountMicros: microsFromDecimal(input.amount) });
      logger.warn({ orderId: input.orderId, disputeId: input.disputeId, taken: row.credit_taken_micros.toString(), debt: row.debt_micros.toString() }, 'dispute opened');
      return { status: row.status };
    },

    /** Closes the dispute: won gives the credit back and lifts its restriction; lost keeps it taken back. */
    async closeDispute(input: { disputeId: string; outcome: 'won' | 'lost' }): Promise<{ status: DisputeStatus }> {
      const row = await closeDispute(sql, input);
      logger.info({ orderId: row.order_id, disputeId: input.disputeId, status: row.status }, 'dispute closed');
      return { status: row.status };
    },
  };
}
