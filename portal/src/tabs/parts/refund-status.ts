// A refund's status in words, for the orders tab's line under each order.
import type { Locale } from '../../i18n.ts';
import type { RefundStatus } from './calls.ts';

const words: Record<Locale, Record<RefundStatus, string>> = {
  en: {
    requested: 'requested, awaiting a decision',
    approved: 'approved, being paid back',
    processing: 'being paid back',
    succeeded: 'refunded',
    rejected: 'rejected',
    failed: 'failed',
  },
  'zh-CN': {
    requested: '已申请，等待审核',
    approved: '已批准，正在退回',
    processing: '正在退回',
    succeeded: '已退款',
    rejected: '已拒绝',
    failed: '失败',
  },
};

/** The status as the customer reads it. */
export function refundStatusText(status: RefundStatus, locale: Locale): string {
  return words[locale][status];
}

/** Whether a refund has reached its end (nothing more will change). */
export function isRefundSettled(status: RefundStatus): boolean {
  return status === 'succeeded' || status === 'rejected' || status === 'failed';
}
