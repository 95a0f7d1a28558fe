// The payment method registry: for each method, the workflow its orders run, the request fields only it
// takes, how its workflow input is built, and when a repeated request can be answered from the order's
// row. Adding a method is an entry here plus its own files; the creation path (create-order.ts) is one.
import { z } from 'zod';
import type { OrderRow } from '../../db/orders/order-row.ts';
import { bankTransferUtcOffsetMinutes, type BankTransferOrderInput } from '../../domain/bank-transfers.ts';
import { ApiError } from '../../domain/errors.ts';
import { orderWorkflowTypes, type CheckoutChoice, type OrderRequest, type StripeCheckoutOrderInput } from '../../domain/orders.ts';
import type { PaymentMethod, Pricing } from '../../domain/pricing.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { storedText } from '../validation.ts';
import { bankTransferBody, normalisedBankTransfer } from './bank-transfer-fields.ts';

/** Browsers and Stripe take longer URLs, but no return page needs one. */
export const maximumReturnUrlLength = 2_048;

/** A URL the payer is sent back to: http(s), bounded, text only; its host is checked against the allow-list later. */
const returnUrl = storedText(1, maximumReturnUrlLength).refine(
  (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
  { message: 'must be an http or https URL' },
);

/**
 * Refuses a return URL whose host is not in ALLOWED_REDIRECT_HOSTS: the order's checkout would otherwise
 * send a payer, straight from paying, to any site the client names (a phishing page that looks like ours).
 */
function checkRedirectHosts(fields: MethodFields, allowedHosts: readonly string[]): void {
  for (const name of ['success_url', 'cancel_url'] as const) {
    const value = fields[name];
    if (value === undefined) continue;
    const host = new URL(value).hostname;
    if (!allowedHosts.includes(host)) {
      throw new ApiError('redirect_not_allowed', `${name} must point to one of the allowed hosts (${allowedHosts.join(', ')}), not ${host}.`, name);
    }
  }
}

/** Every method's own fields, as POST /v1/topups parses them; each method takes only its own. */
export const methodFields = {
  success_url: returnUrl.optional(),
  cancel_url: returnUrl.optional(),
  bank_transfer: bankTransferBody.optional(),
  save_payment_method: z
    .boolean()
    .optional()
    .meta({ description: 'Save the card this top-up is paid with for off-session use (auto-recharge). Stripe Checkout and the sandbox only.' }),
};

export type MethodFields = { [Name in keyof typeof methodFields]?: z.output<(typeof methodFields)[Name]> };

export interface PaymentMethodEntry {
  /** The workflow type its orders run (domain/orders.ts). */
  workflowType: string;
  /** The fields of methodFields this method takes; any other one is refused. */
  fields: readonly (keyof typeof methodFields)[];
  /** The method's fields as they enter the request hash. */
  normalise(fields: MethodFields): Record<string, unknown>;
  /** The workflow's input: the common request and the method's own fields (and the provider customer a saved card needs). */
  workflowInput(request: OrderRequest, fields: MethodFields, dependencies: ApiDependencies, saveCard?: { providerCustomerId: string }): StripeCheckoutOrderInput | BankTransferOrderInput;
  /** Whether a repeat of the creating request can be answered from the row alone. */
  replayFromRow(row: OrderRow): boolean;
}

/** The checkout the pricing file configures for the order's method and currency (the quote found it offered). */
function checkoutChoice(request: OrderRequest, pricing: Pricing): CheckoutChoice {
  const method = request.terms.paymentMethod;
  const option = method === 'auto_recharge' ? undefined : pricing[request.terms.currency].paymentMethods[method];
  if (option === undefined || option.provider === 'bank_transfer' || option.flow === 'bank_transfer') {
    throw new Error(`${request.terms.paymentMethod} has no checkout for ${request.terms.currency}`);
  }
  return { provider: option.provider, flow: option.flow, paymentMethodTypes: option.paymentMethodTypes };
}

/**
 * A method paid at a provider's checkout (its hosted page, or a QR code): one entry per method, one shape.
 * `savesCards`: its checkout can save the card for off-session use (Stripe Checkout and the sandbox).
 */
function hostedCheckout(method: Exclude<PaymentMethod, 'bank_transfer'>, savesCards = false): PaymentMethodEntry {
  return {
    workflowType: orderWorkflowTypes[method],
    fields: savesCards ? ['success_url', 'cancel_url', 'save_payment_method'] : ['success_url', 'cancel_url'],
    normalise: (fields) => ({
      success_url: fields.success_url ?? null,
      cancel_url: fields.cancel_url ?? null,
      // Only a request that saves its card carries the key, so the hashes of other requests stay as they were.
      ...(fields.save_payment_method === true ? { save_payment_method: true } : {}),
    }),
    workflowInput(request, fields, { config, pricing }, saveCard) {
      checkRedirectHosts(fields, config.http.allowedRedirectHosts);
      const returnBase = `${config.api.publicBaseUrl}/checkout/return?order_id=${request.orderId}`;
      const createdAtMilliseconds = Date.parse(request.createdAt);
      const checkout = checkoutChoice(request, pricing);
      return {
        ...request,
        successUrl: fields.success_url ?? `${returnBase}&result=success`,
        cancelUrl: fields.cancel_url ?? `${returnBase}&result=cancel`,
        expiresAt: new Date(createdAtMilliseconds + config.orders.expiryMinutes * 60_000).toISOString(),
        // Stripe orders without configured types run as before this field existed.
        ...(checkout.provider === 'stripe' && checkout.paymentMethodTypes.length === 0 ? {} : { checkout }),
        ...(saveCard === undefined ? {} : { saveCard }),
      };
    },
    // Until its checkout is open, the order must be asked of its workflow.
    replayFromRow: (row) => row.checkout_url !== null,
  };
}

const bankTransfer: PaymentMethodEntry = {
  workflowType: orderWorkflowTypes.bank_transfer,
  fields: ['bank_transfer'],
  // Only bank transfer requests carry the key, so the hashes of other requests stay as they were.
  normalise: (fields) => normalisedBankTransfer(fields.bank_transfer),
  workflowInput(request, fields, { config }) {
    const details = fields.bank_transfer;
    if (details === undefined) throw new ApiError('missing_field', 'bank_transfer is required for a bank transfer top-up.', 'bank_transfer');
    return {
      ...request,
      payee: config.bankTransfers.payee,
      remitter: {
        name: details.remitter_name,
        bankName: details.bank_name,
        remarks: details.remarks === undefined || details.remarks === '' ? null : details.remarks,
      },
      deadlineBusinessDays: config.bankTransfers.deadlineBusinessDays,
      utcOffsetMinutes: bankTransferUtcOffsetMinutes,
    };
  },
  // The payment instructions are in the row from the start.
  replayFromRow: () => true,
};

export const paymentMethodRegistry: Record<PaymentMethod, PaymentMethodEntry> = {
  stripe: hostedCheckout('stripe', true),
  airwallex: hostedCheckout('airwallex'),
  alipay: hostedCheckout('alipay'),
  wechat_pay: hostedCheckout('wechat_pay'),
  bank_transfer: bankTransfer,
};
