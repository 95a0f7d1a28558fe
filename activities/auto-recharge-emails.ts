// The customer's emails about automatic recharge: on the first failure, on a pause, on a disable (not on
// every retry), and when the bank asks for authentication, with a link to a normal Checkout top-up for
// the same amount. Plain text; the amounts are formatted by domain/money.ts.
import { createHash } from 'node:crypto';
import { failure } from '../domain/failures.ts';
import { formatMicros, formatMicrosForPeople, type Currency } from '../domain/money.ts';
import type { StripeCheckoutOrderInput } from '../domain/orders.ts';
import { orderIdFor } from '../ids/ids.ts';
import { whileHeartbeating } from './activity-context.ts';
import type { ActivityDependencies } from './index.ts';

export type AutoRechargeEmailKind = 'first_failure' | 'paused' | 'disabled' | 'authentication_required';

export interface AutoRechargeEmailInput {
  accountId: string;
  /** Names the mail: a retry sends the same Message-ID. */
  attemptId: string;
  email: AutoRechargeEmailKind;
  amountMicros: string;
  currency: Currency;
  declineCode: string | null;
  reason: string;
  /** The Checkout top-up order whose link the authentication email carries. */
  checkoutOrderId: string | null;
}

/** The link stays payable for a day, the longest Stripe keeps a Checkout Session open. */
const authenticationTopUpExpiryMilliseconds = 24 * 3_600_000;

const subjects: Record<AutoRechargeEmailKind, string> = {
  first_failure: 'Automatic recharge failed; it will be tried again',
  paused: 'Automatic recharge is paused',
  disabled: 'Automatic recharge is turned off',
  authentication_required: 'Your bank asks you to confirm a top-up',
};

function isPermanentSmtpRefusal(error: unknown): boolean {
  const responseCode = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
}

export function createAutoRechargeEmailActivities({ sql, logger, mailTransport, invoices }: ActivityDependencies) {
  /** The Checkout link of the top-up order, once its workflow has opened it (a retry waits for it). */
  async function checkoutLink(orderId: string): Promise<string> {
    const [order] = await sql<{ checkout_url: string | null }[]>`select checkout_url from orders where id = ${orderId}`;
    if (order?.checkout_url == null) throw new Error(`the checkout of top-up ${orderId} is not open yet`);
    return order.checkout_url;
  }

  return {
    async sendAutoRechargeEmail(input: AutoRechargeEmailInput): Promise<{ messageId: string }> {
      const [account] = await sql<{ email: string }[]>`select email from accounts where id = ${input.accountId}`;
      if (account === undefined) throw failure('invalid_data', `no account ${input.accountId}`);
      const amount = `${formatMicrosForPeople(BigInt(input.amountMicros), input.currency)} ${input.currency}`;
      const lines = [`Automatic recharge of ${amount}: ${input.reason}`];
      if (input.declineCode !== null) lines.push(`Decline code: ${input.declineCode}.`);
      if (input.email === 'authentication_required' && input.checkoutOrderId !== null) {
        lines.push(`Pay the same amount here: ${await checkoutLink(input.checkoutOrderId)}`);
        lines.push('Automatic recharge stays paused until you pay or turn it on again.');
      }
      if (input.email === 'paused' || input.email === 'disabled') lines.push('It does not turn itself back on: change your auto-recharge settings to enable it again.');
      const messageId = `<auto-recharge-${input.attemptId}-${input.email}@${new URL(invoices.publicBaseUrl).hostname}>`;
      const text = lines.join('\n\n');
      try {
        await whileHeartbeating(() =>
          mailTransport.sendMail({ from: invoices.mailFrom, to: account.email, subject: subjects[input.email], text, html: `<pre>${text.replace(/[&<>]/g, (character) => `&#${character.charCodeAt(0)};`)}</pre>`, messageId, attachments: [] }),
        );
      } catch (error) {
        if (!isPermanentSmtpRefusal(error)) throw error;
        throw failure('email_rejected', `The mail server refused the auto-recharge email: ${(error as Error).message}`, error as Error);
      }
      logger.info({ accountId: input.accountId, attemptId: input.attemptId, email: input.email }, 'auto-recharge email sent');
      return { messageId };
    },

    /** The input of a normal Checkout top-up for the amount a charge needed authentication for. */
    async prepareAuthenticationTopUp(input: { accountId: string; attemptId: string; amountMicros: string; paperworkTaskQueue: string }): Promise<StripeCheckoutOrderInput> {
      return prepareTopUp(input);
    },
  };

  /** Named by the attempt: a retry prepares the same order, so the customer is sent one link. */
  async function prepareTopUp(input: { accountId: string; attemptId: string; amountMicros: string; paperworkTaskQueue: string }): Promise<StripeCheckoutOrderInput> {
    const [row] = await sql<{ email: string; currency: Currency; pay_amount_micros: bigint; bonus_micros: bigint; credit_micros: bigint; created_at: Date }[]>`
      select a.email, o.currency, o.pay_amount_micros, o.bonus_micros, o.credit_micros, o.created_at
      from auto_recharge_attempts t join orders o on o.id = t.order_id join accounts a on a.id = t.account_id
      where t.id = ${input.attemptId}`;
    if (row === undefined) throw failure('invalid_data', `no auto-recharge attempt ${input.attemptId}`);
    const idempotencyKey = `auto-recharge-authentication:${input.attemptId}`;
    const orderId = orderIdFor(input.accountId, idempotencyKey);
    const returnBase = `${invoices.publicBaseUrl}/checkout/return?order_id=${orderId}`;
    return {
      orderId,
      accountId: input.accountId,
      customerEmail: row.email,
      requestHash: createHash('sha256').update(idempotencyKey).digest('hex'),
      idempotencyKey,
      // The same terms the recharge was quoted: the same amount, bonus and credit.
      terms: {
        currency: row.currency, paymentMethod: 'stripe', packageId: null, amount: formatMicros(row.pay_amount_micros), discount: formatMicros(0n),
        payAmount: formatMicros(row.pay_amount_micros), bonus: formatMicros(row.bonus_micros), credit: formatMicros(row.credit_micros), promoCode: null,
      },
      createdAt: row.created_at.toISOString(),
      paperworkTaskQueue: input.paperworkTaskQueue,
      successUrl: `${returnBase}&result=success`,
      cancelUrl: `${returnBase}&result=cancel`,
      expiresAt: new Date(row.created_at.getTime() + authenticationTopUpExpiryMilliseconds).toISOString(),
    };
  }
}
