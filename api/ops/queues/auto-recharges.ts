// The paused auto-recharges, as GET /admin/auto-recharges?state=paused shows them: why each stopped, its
// last attempt, and its workflow. There is no ops action: the customer resumes one by saving its settings.
import type { AutoRechargeView } from '../../../db/auto-recharge/auto-recharge-settings.ts';
import { listAutoRechargesForOps } from '../../../db/auto-recharge/list-auto-recharges-for-ops.ts';
import { autoRechargeWorkflowId } from '../../../domain/auto-recharge.ts';
import { escapeHtml, facts, queueHeading, temporalLink, waited } from '../ops-pages.ts';
import { moneyForPeople } from './amount-input.ts';
import type { OpsQueue, QueueContext } from './ops-queue.ts';

function render(view: AutoRechargeView, context: QueueContext): string {
  const attempt = view.lastAttempt;
  const details = facts([
    ['Why it is paused', view.pausedReason],
    ['Failures in a row', String(view.consecutiveFailures)],
    ['Last attempt', attempt === null ? null : `${attempt.outcome}${attempt.declineCode === null ? '' : ` (${attempt.declineCode})`}, ${waited(attempt.at, context.now)} ago`],
    ['Threshold', moneyForPeople(view.thresholdMicros, view.currency)],
    ['Spent this month', `${moneyForPeople(view.spentThisMonthMicros, view.currency)} of ${moneyForPeople(view.monthlyLimitMicros, view.currency)}`],
    ['Settings changed', waited(view.updatedAt, context.now) + ' ago'],
  ]);
  const title = `${view.accountId}-title`;
  return (
    `<article class="item" aria-labelledby="${title}"><h2 id="${title}">Account <code>${escapeHtml(view.accountId)}</code></h2>` +
    `${details}${temporalLink(context.temporalUiUrl, context.namespace, autoRechargeWorkflowId(view.accountId))}</article>`
  );
}

export const autoRechargeQueue: OpsQueue<AutoRechargeView> = {
  ...queueHeading('/ops/auto-recharges'),
  emptyText: 'paused auto-recharges',
  list: (dependencies, limit) => listAutoRechargesForOps(dependencies.sql, 'paused', limit),
  render,
};
