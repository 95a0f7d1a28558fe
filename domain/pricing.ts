// Pricing: the packages, bonus tiers and payment methods per currency (config/pricing.json): each
// method's provider, limits, display names, icon and, for Stripe, its Checkout payment_method_types;
// and the quote, which turns a chosen amount or package (and maybe a promo code) into what is paid
// and what is credited. Pure functions: the same inputs always give the same quote. Reading the file
// is config/pricing.ts's job; this module validates what it read.
import { z } from 'zod';
import { currencies, currencyExponents, formatMicrosForPeople, isWholeMinorUnits, parsePositiveAmount, type Currency } from './money.ts';
import { basisPointsOf } from './pricing-math.ts';
import { applyPromoCode, type PromoCode, type PromoRefusal } from './promo-codes.ts';

export const paymentMethods = ['stripe', 'airwallex', 'alipay', 'wechat_pay', 'bank_transfer'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

/** Who takes a method's money: a checkout provider, or the company's bank account (confirmed by ops). */
export const paymentProviders = ['stripe', 'airwallex', 'bank_transfer'] as const;
export type PaymentProviderName = (typeof paymentProviders)[number];

/** How the payer pays: sent to the provider's hosted page, shown a QR code to scan, or told where to transfer. */
export type PaymentFlow = 'redirect' | 'qr_code' | 'bank_transfer';

/** Each method's provider when the file names none, and the providers it may be configured with. */
const methodProviders: Record<PaymentMethod, { default: PaymentProviderName; allowed: readonly PaymentProviderName[] }> = {
  stripe: { default: 'stripe', allowed: ['stripe'] },
  airwallex: { default: 'airwallex', allowed: ['airwallex'] },
  // Scan to pay needs the QR code itself; Stripe's Alipay and WeChat Pay run on its Checkout page
  // instead (the stripe method's payment_method_types), so these two are Airwallex's.
  alipay: { default: 'airwallex', allowed: ['airwallex'] },
  wechat_pay: { default: 'airwallex', allowed: ['airwallex'] },
  bank_transfer: { default: 'bank_transfer', allowed: ['bank_transfer'] },
};

/** The flow of each method: Alipay and WeChat Pay are scanned, bank transfers are paid by the customer's bank. */
export const paymentFlows: Record<PaymentMethod, PaymentFlow> = {
  stripe: 'redirect',
  airwallex: 'redirect',
  alipay: 'qr_code',
  wechat_pay: 'qr_code',
  bank_transfer: 'bank_transfer',
};

/** Stripe Checkout's payment_method_types the file may list (those Refill's Checkout session supports). */
export const stripePaymentMethodTypes = ['card', 'alipay', 'wechat_pay', 'link', 'paypal', 'klarna', 'affirm', 'us_bank_account'] as const;

export interface Package {
  id: string;
  amountMicros: bigint;
  bonusMicros: bigint;
  label: string;
  description: string;
}

export interface BonusTier {
  minimumAmountMicros: bigint;
  /** 500 is 5%: basis points keep percentages exact. */
  bonusBasisPoints: number;
}

export interface PaymentMethodLimits {
  minimumMicros: bigint;
  maximumMicros: bigint;
}

/** A method as the pricing file configures it for one currency. */
export interface PaymentMethodOption extends PaymentMethodLimits {
  provider: PaymentProviderName;
  flow: PaymentFlow;
  displayName: { en: string; zhCN: string };
  /** The icon the portal draws for the method (a name such as "alipay", or a URL), or null. */
  icon: string | null;
  /** Stripe only: the Checkout session's payment_method_types; empty means the dashboard's choice. */
  paymentMethodTypes: string[];
}

export interface CurrencyPricing {
  packages: Package[];
  bonusTiers: BonusTier[];
  /** In the file's order: GET /v1/topup-options lists them so. */
  paymentMethods: Partial<Record<PaymentMethod, PaymentMethodOption>>;
}

export type Pricing = Record<Currency, CurrencyPricing>;

/** An amount of the currency in the pricing file: chargeable, so whole minor units. */
const moneyString = (currency: Currency) =>
  z.string().transform((value, context) => {
    const parsed = parsePositiveAmount(value);
    if (value === '0' || /^0(\.0+)?$/.test(value)) return 0n;
    if (!parsed.ok || !isWholeMinorUnits(parsed.micros, currency)) {
      const decimals = currencyExponents[currency];
      context.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an amount with at most ${decimals} decimals` });
      return z.NEVER;
    }
    return parsed.micros;
  });

const displayText = z.string().min(1).max(60);

/** One method of one currency; only min and max are required, so a file of the release before still loads. */
const paymentMethodSchema = (amount: ReturnType<typeof moneyString>) =>
  z.strictObject({
    min: amount,
    max: amount,
    provider: z.enum(paymentProviders).optional(),
    display_name: z.strictObject({ en: displayText, 'zh-CN': displayText }).optional(),
    icon: z.string().min(1).max(500).optional(),
    payment_method_types: z.array(z.enum(stripePaymentMethodTypes)).min(1).max(stripePaymentMethodTypes.length).optional(),
  });

type PaymentMethodDocument = z.output<ReturnType<typeof paymentMethodSchema>>;

/** Refuses a provider the method cannot run on, and Stripe's types on a method that is not Stripe's. */
function checkMethodProvider(method: PaymentMethod, document: PaymentMethodDocument, context: z.RefinementCtx): void {
  const provider = document.provider ?? methodProviders[method].default;
  if (!methodProviders[method].allowed.includes(provider)) {
    context.addIssue({ code: 'custom', message: `${method}: provider must be ${methodProviders[method].allowed.join(' or ')}, not ${provider}` });
  }
  if (document.payment_method_types !== undefined && provider !== 'stripe') {
    context.addIssue({ code: 'custom', message: `${method}: payment_method_types are Stripe Checkout's and need provider stripe` });
  }
}

/** English and Chinese names of a method the file does not name. */
const defaultDisplayNames: Record<PaymentMethod, { en: string; zhCN: string }> = {
  stripe: { en: 'Card', zhCN: '银行卡' },
  airwallex: { en: 'Airwallex', zhCN: '空中云汇' },
  alipay: { en: 'Alipay', zhCN: '支付宝' },
  wechat_pay: { en: 'WeChat Pay', zhCN: '微信支付' },
  bank_transfer: { en: 'Bank transfer', zhCN: '银行转账' },
};

function paymentMethodOption(method: PaymentMethod, document: PaymentMethodDocument): PaymentMethodOption {
  const names = document.display_name;
  return {
    minimumMicros: document.min,
    maximumMicros: document.max,
    provider: document.provider ?? methodProviders[method].default,
    flow: paymentFlows[method],
    displayName: names === undefined ? defaultDisplayNames[method] : { en: names.en, zhCN: names['zh-CN'] },
    icon: document.icon ?? null,
    paymentMethodTypes: document.payment_method_types ?? [],
  };
}

/**
 * The pricing with only the methods whose provider can take payments here: `available` says which
 * providers are configured (or stood in for by the sandbox outside production). Bank transfers need none.
 */
export function offeredPricing(pricing: Pricing, available: ReadonlySet<PaymentProviderName>): Pricing {
  const offered = {} as Pricing;
  for (const currency of currencies) {
    // A pricing without a currency stays without it (the routes answer that currency's accounts).
    if ((pricing[currency] as Pricing[Currency] | undefined) === undefined) continue;
    const methods = Object.entries(pricing[currency].paymentMethods).filter(
      ([, option]) => option !== undefined && (option.provider === 'bank_transfer' || available.has(option.provider)),
    );
    offered[currency] = { ...pricing[currency], paymentMethods: Object.fromEntries(methods) };
  }
  return offered;
}

const currencyPricingSchema = (currency: Currency) => {
  const amount = moneyString(currency);
  return z
    .strictObject({
      packages: z
        .array(
          z.strictObject({
            id: z.string().regex(/^[a-z0-9_]{1,40}$/),
            amount,
            bonus: amount,
            label: z.string().min(1).max(40),
            description: z.string().max(200),
          }),
        )
        .max(20),
      bonus_tiers: z
        .array(z.strictObject({ min_amount: amount, bonus_basis_points: z.number().int().min(0).max(10_000) }))
        .max(20),
      payment_methods: z.partialRecord(z.enum(paymentMethods), paymentMethodSchema(amount)),
    })
    .superRefine((value, context) => {
      const ids = value.packages.map((item) => item.id);
      if (new Set(ids).size !== ids.length) context.addIssue({ code: 'custom', message: 'package ids must be unique' });
      for (let index = 1; index < value.bonus_tiers.length; index += 1) {
        if (value.bonus_tiers[index]!.min_amount <= value.bonus_tiers[index - 1]!.min_amount) {
          context.addIssue({ code: 'custom', message: 'bonus tiers must be in increasing min_amount order' });
        }
      }
      for (const [method, limits] of Object.entries(value.payment_methods)) {
        if (limits === undefined) continue;
        if (limits.min > limits.max) context.addIssue({ code: 'custom', message: `${method}: min must not exceed max` });
        checkMethodProvider(method as PaymentMethod, limits, context);
      }
    });
};

const pricingSchema = z.strictObject(
  Object.fromEntries(currencies.map((currency) => [currency, currencyPricingSchema(currency)])) as Record<
    Currency,
    ReturnType<typeof currencyPricingSchema>
  >,
);

/** Thrown when the pricing file is invalid; the processes refuse to start with it. */
export class PricingConfigError extends Error {
  override name = 'PricingConfigError';
}

/** Validates a pricing document (the parsed JSON of config/pricing.json). */
export function parsePricing(document: unknown): Pricing {
  const parsed = pricingSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PricingConfigError(`Invalid pricing config at ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  const pricing = {} as Pricing;
  for (const currency of currencies) {
    const value = parsed.data[currency];
    pricing[currency] = {
      packages: value.packages.map((item) => ({
        id: item.id,
        amountMicros: item.amount,
        bonusMicros: item.bonus,
        label: item.label,
        description: item.description,
      })),
      bonusTiers: value.bonus_tiers.map((tier) => ({
        minimumAmountMicros: tier.min_amount,
        bonusBasisPoints: tier.bonus_basis_points,
      })),
      paymentMethods: Object.fromEntries(
        Object.entries(value.payment_methods).map(([method, document]) => [method, paymentMethodOption(method as PaymentMethod, document!)]),
      ),
    };
  }
  return pricing;
}

/** The bonus a custom amount earns from the highest tier it reaches. */
export function tierBonusMicros(tiers: BonusTier[], amountMicros: bigint): bigint {
  let bonus = 0n;
  for (const tier of tiers) {
    if (amountMicros >= tier.minimumAmountMicros) bonus = basisPointsOf(amountMicros, tier.bonusBasisPoints);
  }
  return bonus;
}

export interface QuoteRequest {
  currency: Currency;
  paymentMethod: PaymentMethod;
  /** Exactly one of amountMicros and packageId. */
  amountMicros: bigint | null;
  packageId: string | null;
  promoCode: PromoCode | null;
}

export interface Quote {
  currency: Currency;
  paymentMethod: PaymentMethod;
  packageId: string | null;
  /** What the customer chose. */
  amountMicros: bigint;
  /** Taken off the payment by a promo code. */
  discountMicros: bigint;
  /** amount - discount: what the customer pays. */
  payAmountMicros: bigint;
  /** Extra credit from the package or tier, plus any promo bonus. */
  bonusMicros: bigint;
  /** amount + bonus: what lands on the balance. */
  creditMicros: bigint;
  promoCode: string | null;
}

export type QuoteRefusal =
  | { code: 'unknown_package'; message: string }
  | { code: 'payment_method_unavailable'; message: string }
  | { code: 'amount_too_precise'; message: string }
  | { code: 'amount_below_minimum'; message: string }
  | { code: 'amount_above_maximum'; message: string }
  | { code: 'pay_amount_below_minimum'; message: string }
  | PromoRefusal;

export type QuoteResult = { ok: true; quote: Quote } | { ok: false; refusal: QuoteRefusal };

/** Prices a top-up. A promo code given here has already been found; its limits are checked by the caller's database. */
export function computeQuote(pricing: Pricing, request: QuoteRequest, now: Date): QuoteResult {
  const currencyPricing = pricing[request.currency];
  const limits = currencyPricing.paymentMethods[request.paymentMethod];
  if (limits === undefined) {
    return refuse('payment_method_unavailable', `${request.paymentMethod} is not offered for ${request.currency} accounts.`);
  }
  let amountMicros: bigint;
  let baseBonusMicros: bigint;
  if (request.packageId !== null) {
    const chosen = currencyPricing.packages.find((item) => item.id === request.packageId);
    if (chosen === undefined) return refuse('unknown_package', `No package ${request.packageId} for ${request.currency}.`);
    amountMicros = chosen.amountMicros;
    baseBonusMicros = chosen.bonusMicros;
  } else {
    amountMicros = request.amountMicros!;
    if (!isWholeMinorUnits(amountMicros, request.currency)) {
      return refuse('amount_too_precise', `A top-up amount has at most ${currencyExponents[request.currency]} decimals.`);
    }
    baseBonusMicros = tierBonusMicros(currencyPricing.bonusTiers, amountMicros);
  }
  if (amountMicros < limits.minimumMicros) {
    return refuse('amount_below_minimum', `The minimum for ${request.paymentMethod} is ${formatMicrosForPeople(limits.minimumMicros, request.currency)} ${request.currency}.`);
  }
  if (amountMicros > limits.maximumMicros) {
    return refuse('amount_above_maximum', `The maximum for ${request.paymentMethod} is ${formatMicrosForPeople(limits.maximumMicros, request.currency)} ${request.currency}.`);
  }
  let discountMicros = 0n;
  let promoBonusMicros = 0n;
  if (request.promoCode !== null) {
    const applied = applyPromoCode(request.promoCode, { currency: request.currency, amountMicros }, now);
    if (!applied.ok) return { ok: false, refusal: applied.refusal };
    discountMicros = applied.discountMicros;
    promoBonusMicros = applied.bonusMicros;
  }
  const payAmountMicros = amountMicros - discountMicros;
  // The method's minimum holds for what is paid, not only for what is chosen: a discount that takes the
  // payment below it is refused (the customer picks a larger amount or drops the code), never lowered to
  // a payment the method does not take, and never raised silently above the quoted discount.
  if (payAmountMicros < limits.minimumMicros) {
    return refuse('pay_amount_below_minimum', payBelowMinimumMessage(request, payAmountMicros, limits.minimumMicros));
  }
  const bonusMicros = baseBonusMicros + promoBonusMicros;
  return {
    ok: true,
    quote: {
      currency: request.currency,
      paymentMethod: request.paymentMethod,
      packageId: request.packageId,
      amountMicros,
      discountMicros,
      payAmountMicros,
      bonusMicros,
      creditMicros: amountMicros + bonusMicros,
      promoCode: request.promoCode?.code ?? null,
    },
  };
}

function payBelowMinimumMessage(request: QuoteRequest, payAmountMicros: bigint, minimumMicros: bigint): string {
  const people = (micros: bigint) => `${formatMicrosForPeople(micros, request.currency)} ${request.currency}`;
  return (
    `With promo code ${request.promoCode?.code ?? ''} the payment would be ${people(payAmountMicros)}, ` +
    `below the minimum for ${request.paymentMethod} of ${people(minimumMicros)}; choose a larger amount or remove the code.`
  );
}

function refuse(code: Exclude<QuoteRefusal['code'], PromoRefusal['code']>, message: string): QuoteResult {
  return { ok: false, refusal: { code, message } as QuoteRefusal };
}
