// The daily reconciliation (README "Reconciliation"): once a day, the provider's successful checkout
// payments of one UTC day are compared with the card orders Refill credited that day, and every
// difference becomes a payment exception and a line of the day's report. Shared by the workflow
// (workflows/daily-reconciliation.ts), its activities, the worker's schedule and the admin route; imports
// nothing with side effects. Bank transfers, Airwallex (Alipay, WeChat Pay) and auto-recharge charges are
// not Checkout payments, so they are outside the comparison.
//
// Glossary
// - day: a UTC calendar day, written YYYY-MM-DD; payments and orders belong to the day they were created.
// - difference: paid_not_credited (the provider took money Refill did not credit), credited_not_paid
//   (Refill credited an order the provider has no payment for), amount_differs (both have it, but the
//   amount or the currency differ).

export const differenceKinds = ['paid_not_credited', 'credited_not_paid', 'amount_differs'] as const;
export type DifferenceKind = (typeof differenceKinds)[number];

/** What a run compares: a day, or (the schedule's runs) the UTC day before the run started. */
export interface DailyReconciliationInput {
  /** YYYY-MM-DD; absent: the previous UTC day. Ops re-run a day by naming it. */
  date?: string;
}

/** One side's view of a payment: minor units as a decimal string (bigint does not survive JSON), lower-case currency. */
export interface ComparedAmount {
  amountMinorUnits: string | null;
  currency: string | null;
}

/** One difference, as the report line and the payment exception record it. */
export interface DailyDifference {
  kind: DifferenceKind;
  /** The order it concerns; null when the provider's payment names no order Refill knows. */
  orderId: string | null;
  checkoutSessionId: string | null;
  providerPaymentId: string | null;
  provider: ComparedAmount;
  refill: ComparedAmount;
  detail: string;
}

/** What the comparison activity found for a day. */
export interface DailyComparison {
  date: string;
  provider: string;
  providerPaymentCount: number;
  creditedOrderCount: number;
  differences: DailyDifference[];
}

/** What a run returns: the day, its counts, and the orders its differences name. */
export interface DailyReconciliationResult {
  date: string;
  providerPaymentCount: number;
  creditedOrderCount: number;
  differences: number;
  orderIds: string[];
}

/** The most differences one day's report records; past it the report says how many more there were. */
export const maximumDifferencesPerDay = 1_000;

/** The daily schedule of a task queue's workers: one per task queue, so test workers never share one. */
export function dailyReconciliationScheduleId(taskQueue: string): string {
  return `daily-reconciliation-${taskQueue}`;
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A YYYY-MM-DD string naming a real calendar day (2026-02-30 is not one), else null. */
export function parseReportDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = datePattern.exec(value);
  if (match === null) return null;
  const day = new Date(`${value}T00:00:00.000Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) return null;
  return value;
}

/** The day's range, [00:00 UTC, next 00:00 UTC). */
export function dayRange(date: string): { from: Date; to: Date } {
  const from = new Date(`${date}T00:00:00.000Z`);
  return { from, to: new Date(from.getTime() + 86_400_000) };
}

/** The UTC day before the given moment, YYYY-MM-DD. */
export function previousUtcDay(moment: Date): string {
  return new Date(moment.getTime() - 86_400_000).toISOString().slice(0, 10);
}

/** Refill's side of one payment: the order, and whether (and for what) it was credited. */
export interface RefillSide {
  orderId: string;
  credited: boolean;
  checkoutSessionId: string | null;
  providerPaymentId: string | null;
  amount: ComparedAmount;
}

/** The provider's side of one payment: paid or not, for what. */
export interface ProviderSide {
  paid: boolean;
  checkoutSessionId: string;
  providerPaymentId: string | null;
  amount: ComparedAmount;
}

const noAmount: ComparedAmount = { amountMinorUnits: null, currency: null };

/** The difference between Refill's and the provider's view of one payment, or null when they agree. */
export function differenceOf(refill: RefillSide | null, provider: ProviderSide | null): DailyDifference | null {
  const providerPaid = provider?.paid === true;
  const credited = refill?.credited === true;
  const base = {
    orderId: refill?.orderId ?? null,
    checkoutSessionId: provider?.checkoutSessionId ?? refill?.checkoutSessionId ?? null,
    providerPaymentId: provider?.providerPaymentId ?? refill?.providerPaymentId ?? null,
    provider: providerPaid ? provider!.amount : noAmount,
    refill: credited ? refill!.amount : noAmount,
  };
  if (providerPaid && !credited) {
    return { ...base, kind: 'paid_not_credited', detail: refill === null ? 'the provider lists a paid checkout that names no Refill order' : 'the provider lists a paid checkout whose order Refill has not credited' };
  }
  if (credited && !providerPaid) return { ...base, kind: 'credited_not_paid', detail: 'Refill credited the order but the provider has no successful payment for its checkout' };
  if (!credited || !providerPaid) return null;
  const same = refill!.amount.amountMinorUnits === provider!.amount.amountMinorUnits && refill!.amount.currency === provider!.amount.currency;
  if (same) return null;
  const detail = `the provider took ${provider!.amount.amountMinorUnits ?? '?'} ${provider!.amount.currency ?? '?'} (minor units), Refill credited an order of ${refill!.amount.amountMinorUnits} ${refill!.amount.currency}`;
  return { ...base, kind: 'amount_differs', detail };
}

/** The payment exception event id of a difference: one per kind and order, so a re-run finds it. */
export function dailyDifferenceEventId(difference: DailyDifference): string {
  const name = `evt_daily_${difference.kind}_${difference.orderId ?? difference.checkoutSessionId ?? 'none'}`;
  return name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 200);
}
