// The rails of automatic recharge, on the pure state machine (workflows/auto-recharge-state.ts): events
// in, state and commands out, with time given in the events. The end-to-end path is in auto-recharge.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OffSessionChargeResult } from '../activities/payments/saved-cards.ts';
import type { AutoRechargeSettingsSnapshot } from '../domain/auto-recharge.ts';
import {
  decideAutoRecharge,
  isFinished,
  startAutoRecharge,
  type AutoRechargeCommand,
  type AutoRechargeContext,
  type AutoRechargeEvent,
  type AutoRechargeMachineState,
} from '../workflows/auto-recharge-state.ts';

const hour = 3_600_000;
const start = Date.UTC(2026, 11, 10, 12, 0, 0);
const usd = (units: number) => String(BigInt(units) * 1_000_000n);

const settings: AutoRechargeSettingsSnapshot = {
  accountId: 'acct_000000000000000000000001',
  version: 1,
  enabled: true,
  currency: 'USD',
  thresholdMicros: usd(10),
  amountMicros: usd(50),
  targetBalanceMicros: null,
  paymentMethodId: null,
  monthlyLimitMicros: usd(200),
  cooldownSeconds: 600,
  maximumPerDay: 5,
};

function context(changes: Partial<AutoRechargeContext> = {}): AutoRechargeContext {
  return { settings, stopped: false, balanceMicros: usd(5), spentThisMonthMicros: '0', rechargesToday: 0, lastRechargeAtMilliseconds: null, consecutiveFailures: 0, ...changes };
}

/** Feeds events in order, collecting every command; returns the final state. */
function run(events: AutoRechargeEvent[], initial?: AutoRechargeMachineState): { state: AutoRechargeMachineState; commands: AutoRechargeCommand[] } {
  let state = initial ?? startAutoRecharge(settings.accountId).state;
  const commands: AutoRechargeCommand[] = initial === undefined ? [{ kind: 'load' }] : [];
  for (const event of events) {
    const next = decideAutoRecharge(state, event);
    state = next.state;
    commands.push(...next.commands);
  }
  return { state, commands };
}

const loaded = (changes: Partial<AutoRechargeContext> = {}, nowMilliseconds = start, attemptKey = 'k1'): AutoRechargeEvent => ({ type: 'loaded', context: context(changes), nowMilliseconds, attemptKey });
const begun = (attemptId = 'arc_1'): AutoRechargeEvent => ({ type: 'attempt_begun', attemptId, orderId: `ord_${attemptId}`, refusal: null });
const charged = (result: OffSessionChargeResult, nowMilliseconds = start): AutoRechargeEvent => ({ type: 'charged', result, nowMilliseconds });
const kinds = (commands: AutoRechargeCommand[]) => commands.map((command) => command.kind);

test('below the threshold a round begins one attempt for the amount; success credits, issues the paperwork and finishes', () => {
  const { state, commands } = run([loaded(), begun(), charged({ outcome: 'succeeded', paymentIntentId: 'pi_1' }), { type: 'credited' }, { type: 'paperwork_done' }]);
  assert.deepEqual(kinds(commands), ['load', 'begin_attempt', 'charge', 'credit', 'paperwork']);
  assert.equal((commands[1] as { amountMicros: string }).amountMicros, usd(50));
  assert.equal(isFinished(state), true);
  assert.equal(state.consecutiveFailures, 0);
});

test('a target balance charges what brings the balance to it; a balance at or above the threshold charges nothing', () => {
  const target = { ...settings, amountMicros: null, targetBalanceMicros: usd(100) };
  const { commands } = run([loaded({ settings: target, balanceMicros: usd(3) })]);
  assert.equal((commands[1] as { amountMicros: string }).amountMicros, usd(97));
  const above = run([loaded({ balanceMicros: usd(10) })]);
  assert.deepEqual(kinds(above.commands), ['load']);
  assert.equal(isFinished(above.state), true);
});

test('a second crossing during a recharge starts nothing more: it is absorbed, and looked at once the round is over', () => {
  const during = run([loaded(), begun(), { type: 'crossed' }, { type: 'crossed' }, charged({ outcome: 'succeeded', paymentIntentId: 'pi_1' })]);
  assert.deepEqual(kinds(during.commands), ['load', 'begin_attempt', 'charge', 'credit']);
  const after = run([{ type: 'credited' }, { type: 'paperwork_done' }], during.state);
  // One new look, which the cooldown (or the balance, now above the threshold) then stops.
  assert.deepEqual(kinds(after.commands), ['paperwork', 'load']);
  const cooled = run([loaded({ lastRechargeAtMilliseconds: start }, start + 1_000, 'k2')], after.state);
  assert.deepEqual(kinds(cooled.commands), []);
  assert.equal(cooled.state.phase, 'waiting');
  assert.equal(cooled.state.wakeAtMilliseconds, start + 600_000, 'the default cooldown is 10 minutes');
});

test('the monthly limit is never exceeded: a recharge that would pass it is skipped until the next month', () => {
  const { state, commands } = run([loaded({ spentThisMonthMicros: usd(151) })]);
  assert.deepEqual(kinds(commands), ['load', 'record_skip']);
  assert.match((commands[1] as { reason: string }).reason, /monthly limit/);
  const waiting = run([{ type: 'recorded' }], state).state;
  assert.equal(waiting.phase, 'waiting');
  assert.equal(waiting.wakeAtMilliseconds, Date.UTC(2026, 11 + 1, 1));
  // Exactly at the limit is allowed.
  assert.deepEqual(kinds(run([loaded({ spentThisMonthMicros: usd(150) })]).commands), ['load', 'begin_attempt']);
});

test('at most N recharges a day (default 5): the sixth waits for the next UTC day', () => {
  const { state, commands } = run([loaded({ rechargesToday: 5 }), { type: 'recorded' }]);
  assert.deepEqual(kinds(commands), ['load', 'record_skip']);
  assert.equal(state.wakeAtMilliseconds, Date.UTC(2026, 11, 11));
});

test('a hard decline disables at once with the reason and one email', () => {
  const { state, commands } = run([loaded(), begun(), charged({ outcome: 'declined', paymentIntentId: 'pi_1', declineCode: 'stolen_card' }), { type: 'recorded' }]);
  assert.deepEqual(kinds(commands), ['load', 'begin_attempt', 'charge', 'record_failure', 'email']);
  const failure = commands[3] as Extract<AutoRechargeCommand, { kind: 'record_failure' }>;
  assert.deepEqual(failure.stop?.state, 'disabled');
  assert.match(failure.stop!.reason, /stolen_card/);
  assert.equal((commands[4] as { email: string }).email, 'disabled');
  assert.equal(isFinished(state), true, 'a disabled recharge waits for nothing: only a PUT enables it again');
});

test('soft declines back off 1 h, then 6 h, then pause after 3 in a row; the customer is emailed on the first failure and on the pause only', () => {
  let state = run([loaded(), begun('arc_1'), charged({ outcome: 'declined', paymentIntentId: 'pi_1', declineCode: 'insufficient_funds' }), { type: 'recorded' }]).state;
  const emails: string[] = [];
  const first = run([loaded(), begun('arc_1'), charged({ outcome: 'declined', paymentIntentId: 'pi_1', declineCode: 'insufficient_funds' })]);
  emails.push(...first.commands.filter((command) => command.kind === 'email').map((command) => (command as { email: string }).email));
  assert.equal(state.phase, 'waiting');
  assert.equal(state.wakeAtMilliseconds, start + hour);
  // A crossing while backing off changes nothing; the timer does not fire early.
  assert.deepEqual(run([{ type: 'crossed' }, { type: 'timer_fired', nowMilliseconds: start + hour - 1 }], state).commands, []);

  const second = run([{ type: 'timer_fired', nowMilliseconds: start + hour }, loaded({ consecutiveFailures: 1 }, start + hour, 'k2'), begun('arc_2'), charged({ outcome: 'declined', paymentIntentId: 'pi_2', declineCode: 'processing_error' }, start + hour), { type: 'recorded' }], state);
  emails.push(...second.commands.filter((command) => command.kind === 'email').map((command) => (command as { email: string }).email));
  state = second.state;
  assert.equal(state.consecutiveFailures, 2);
  assert.equal(state.wakeAtMilliseconds, start + hour + 6 * hour);

  const at = start + 7 * hour;
  const third = run([{ type: 'timer_fired', nowMilliseconds: at }, loaded({ consecutiveFailures: 2 }, at, 'k3'), begun('arc_3'), charged({ outcome: 'declined', paymentIntentId: 'pi_3', declineCode: 'insufficient_funds' }, at), { type: 'recorded' }], state);
  emails.push(...third.commands.filter((command) => command.kind === 'email').map((command) => (command as { email: string }).email));
  const pause = third.commands.find((command) => command.kind === 'record_failure') as Extract<AutoRechargeCommand, { kind: 'record_failure' }>;
  assert.equal(pause.stop?.state, 'paused');
  assert.equal(pause.consecutiveFailures, 3);
  assert.deepEqual(emails, ['first_failure', 'paused']);
  assert.equal(isFinished(third.state), true);
});

test('authentication required pauses at once and emails the customer a link for the same amount', () => {
  const { commands } = run([loaded(), begun(), charged({ outcome: 'authentication_required', paymentIntentId: 'pi_1' })]);
  const failure = commands.find((command) => command.kind === 'record_failure') as Extract<AutoRechargeCommand, { kind: 'record_failure' }>;
  assert.equal(failure.stop?.state, 'paused');
  const email = commands.find((command) => command.kind === 'email') as Extract<AutoRechargeCommand, { kind: 'email' }>;
  assert.equal(email.email, 'authentication_required');
  assert.equal(email.amountMicros, usd(50));
});

test('paused or disabled settings never start a round; a stop is only lifted by new settings (a PUT)', () => {
  assert.deepEqual(kinds(run([loaded({ stopped: true })]).commands), ['load']);
  assert.deepEqual(kinds(run([loaded({ settings: { ...settings, enabled: false } })]).commands), ['load']);
  assert.deepEqual(kinds(run([loaded({ settings: null })]).commands), ['load']);
});

test('settings changed mid-attempt: the attempt in flight finishes under the settings it began with, then the new ones are read', () => {
  const during = run([loaded(), begun(), { type: 'settings_changed', version: 2 }, charged({ outcome: 'succeeded', paymentIntentId: 'pi_1' }), { type: 'credited' }, { type: 'paperwork_done' }]);
  assert.deepEqual(kinds(during.commands), ['load', 'begin_attempt', 'charge', 'credit', 'paperwork', 'load']);
  // Disabled in the meantime: the next round does nothing.
  const next = run([loaded({ settings: { ...settings, version: 2, enabled: false } }, start + 1_000, 'k2')], during.state);
  assert.deepEqual(next.commands, []);
  assert.equal(isFinished(next.state), true);
  // The version the run already loaded (the signal that started it) changes nothing.
  assert.deepEqual(run([{ type: 'settings_changed', version: 1 }], run([loaded()]).state).commands, []);
  // While backing off, new settings are looked at at once (the customer's PUT is a fresh start).
  const backingOff = run([loaded(), begun(), charged({ outcome: 'declined', paymentIntentId: 'pi_1', declineCode: 'insufficient_funds' }), { type: 'recorded' }]).state;
  assert.deepEqual(kinds(run([{ type: 'settings_changed', version: 2 }], backingOff).commands), ['load']);
});

test('duplicate and out-of-order intent events: a processing charge is settled once by its event; redeliveries, events of other intents and late events change nothing', () => {
  const processing = run([loaded(), begun(), charged({ outcome: 'processing', paymentIntentId: 'pi_1' })]).state;
  assert.equal(processing.phase, 'awaiting_outcome');
  assert.equal(processing.wakeAtMilliseconds, start + 60_000, 'polled as a fallback');
  const other = { type: 'intent_event', event: { eventId: 'evt_other', paymentIntentId: 'pi_9', outcome: 'succeeded', declineCode: null }, nowMilliseconds: start } as const;
  const succeeded = { type: 'intent_event', event: { eventId: 'evt_ok', paymentIntentId: 'pi_1', outcome: 'succeeded', declineCode: null }, nowMilliseconds: start } as const;
  const lateFailure = { type: 'intent_event', event: { eventId: 'evt_late', paymentIntentId: 'pi_1', outcome: 'failed', declineCode: 'insufficient_funds' }, nowMilliseconds: start } as const;
  const { state, commands } = run([other, succeeded, succeeded, lateFailure, { type: 'credited' }, succeeded], processing);
  assert.deepEqual(kinds(commands), ['credit', 'paperwork']);
  assert.equal(state.consecutiveFailures, 0);
  // The poll settles it when no event comes.
  const polled = run([{ type: 'timer_fired', nowMilliseconds: start + 60_000 }], processing);
  assert.deepEqual(kinds(polled.commands), ['poll']);
});

test('a refusal to begin (no card to charge any more) or a provider refusal of the charge never leaves a charge running', () => {
  const refused = run([loaded(), { type: 'attempt_begun', attemptId: '', orderId: '', refusal: 'The card was deleted.' }, { type: 'recorded' }]);
  assert.deepEqual(kinds(refused.commands), ['load', 'begin_attempt', 'record_skip']);
  const providerRefused = run([loaded(), begun(), { type: 'charge_refused', reason: 'No such PaymentMethod' }]);
  const failure = providerRefused.commands.find((command) => command.kind === 'record_failure') as Extract<AutoRechargeCommand, { kind: 'record_failure' }>;
  assert.equal(failure.stop?.state, 'disabled');
});
