// Automatic recharge below a threshold: the terms, the rails' defaults, the table of declines, and the
// messages the API and the account's workflow share. No side effects, so workflow code can import it.
//
// Glossary:
// - settings: what the customer agreed to (threshold, amount or target balance, card, monthly limit),
//   one version per PUT; enabling records consent (time, IP, user agent, the settings agreed).
// - crossing: a deduction that leaves the balance below the threshold; it signals the account's
//   workflow (auto-recharge-<account id>) with signal-with-start.
// - attempt: one off-session charge of the saved card (arc_…), keyed at the provider by its id.
// - state: active, paused (soft declines in a row, or authentication required) or disabled (a hard
//   decline, the card deleted, or the customer switched it off). Only a PUT lifts a pause or a disable.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Currency } from './money.ts';

export type AutoRechargeState = 'active' | 'paused' | 'disabled';
export const autoRechargeStates: readonly AutoRechargeState[] = ['active', 'paused', 'disabled'];

/** Rails with their defaults: each is a named setting of PUT /v1/auto-recharge. */
export const defaultCooldownSeconds = 600;
export const minimumCooldownSeconds = 60;
export const maximumCooldownSeconds = 86_400;
export const defaultMaximumPerDay = 5;
export const maximumMaximumPerDay = 24;
/** Soft declines retry after these delays, then the recharge pauses (after 3 failures in a row). */
export const softDeclineBackoffMilliseconds: readonly number[] = [3_600_000, 6 * 3_600_000, 24 * 3_600_000];
export const maximumConsecutiveSoftFailures = 3;

/**
 * Declines the card will never pass: auto-recharge is disabled at once, with the code as its reason.
 * Every other decline is soft (retried with backoff). The README's decline table is this list.
 */
export const hardDeclineCodes: Readonly<Record<string, string>> = {
  stolen_card: 'The card was reported stolen.',
  lost_card: 'The card was reported lost.',
  expired_card: 'The card has expired.',
  incorrect_number: 'The card number is wrong.',
  invalid_account: 'The card or its account is not valid.',
  do_not_honor: 'The bank declined the card and will keep declining it.',
  pickup_card: 'The bank asked for the card to be retained.',
  restricted_card: 'The card is restricted.',
  card_not_supported: 'The card does not support this kind of charge.',
  fraudulent: 'The charge was declined as fraudulent.',
  merchant_blacklist: 'The card is blocked for this merchant.',
  revocation_of_all_authorizations: 'The customer revoked all authorisations.',
  revocation_of_authorization: 'The customer revoked the authorisation.',
  stop_payment_order: 'The customer ordered payments to stop.',
  security_violation: 'The bank reported a security violation.',
};

/** Soft declines named in the README (any code not in hardDeclineCodes is treated as soft). */
export const softDeclineExamples: readonly string[] = ['insufficient_funds', 'processing_error', 'card_velocity_exceeded', 'try_again_later', 'generic_decline', 'issuer_not_available'];

export function isHardDecline(code: string): boolean {
  return Object.hasOwn(hardDeclineCodes, code);
}

/** The settings a workflow runs under, money as decimal strings (bigint does not survive JSON). */
export interface AutoRechargeSettingsSnapshot {
  accountId: string;
  version: number;
  enabled: boolean;
  currency: Currency;
  thresholdMicros: string;
  /** Exactly one of amount and target balance is set. */
  amountMicros: string | null;
  targetBalanceMicros: string | null;
  paymentMethodId: string | null;
  monthlyLimitMicros: string;
  cooldownSeconds: number;
  maximumPerDay: number;
}

/** What a crossing tells the workflow: the balance it left, and when. */
export interface ThresholdCrossing {
  balanceMicros: string;
  atMilliseconds: number;
}

export interface AutoRechargeWorkflowInput {
  accountId: string;
  /** Where the recharge's invoice and email run (TEMPORAL_PAPERWORK_TASK_QUEUE). */
  paperworkTaskQueue: string;
}

/** A payment intent's event, as the webhook route passes it on to the account's workflow. */
export interface PaymentIntentEvent {
  eventId: string;
  paymentIntentId: string;
  outcome: 'succeeded' | 'failed' | 'requires_action';
  declineCode: string | null;
}

export const autoRechargeWorkflowType = 'autoRechargeWorkflow';

/** One workflow per account: at most one recharge in flight, whatever the number of API processes. */
export function autoRechargeWorkflowId(accountId: string): string {
  return `auto-recharge-${accountId}`;
}

export const thresholdCrossedSignal = defineSignal<[ThresholdCrossing]>('thresholdCrossed');
/** A PUT changed the settings: the workflow reads them again before its next attempt. */
export const settingsChangedSignal = defineSignal<[{ version: number }]>('settingsChanged');
export const paymentIntentSignal = defineSignal<[PaymentIntentEvent]>('paymentIntent');
export const autoRechargeStateQuery = defineQuery<{ phase: string; consecutiveFailures: number }>('autoRechargeState');
