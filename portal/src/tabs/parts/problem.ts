// The API's refusal as the customer reads it. The API's message is precise but English: for the codes
// these tabs meet, the Chinese portal says the same in Chinese; any other code shows the API's message.
import type { Locale } from '../../i18n.ts';
import type { Problem } from './calls.ts';

const chinese: Record<string, string> = {
  network_error: '无法连接服务器，请检查网络后重试。',
  unauthorized: '会话已结束，请从平台重新打开账单门户。',
  order_not_resumable: '该订单已无法继续支付（已不再待支付，或支付页面已过期）。',
  order_not_cancellable: '只有待支付的订单可以取消。',
  invoice_not_ready: '发票尚未开具：付款到账后几秒内开具。',
  credit_note_not_ready: '红字发票尚未开具：退款完成后几秒内开具。',
  order_not_refundable: '该订单无法退款：未支付成功、已全额退款，或已超过退款期限。',
  refund_exceeds_refundable: '金额超过该订单可退款的金额。',
  refund_exceeds_unconsumed_credit: '余额中已没有这笔退款需要扣回的额度（大部分已使用），请联系客服。',
  account_restricted: '账户因争议处理中而受限，暂时无法退款或充值，请联系客服。',
  invalid_amount: '请输入有效金额，例如 12.50。',
  amount_too_precise: '金额的小数位过多。',
  amount_too_large: '金额过大。',
  amount_below_minimum: '金额低于最低限额。',
  amount_above_maximum: '金额高于最高限额。',
  consent_required: '启用自动充值前，请勾选同意扣款授权。',
  payment_method_required: '请先添加一张银行卡。',
  payment_method_not_found: '找不到这张已保存的银行卡。',
  payment_method_unavailable: '此币种不支持银行卡支付。',
  payment_provider_error: '支付服务商拒绝了该请求，请稍后重试。',
  service_unavailable: '服务暂时不可用，请稍后重试。',
  rate_limited: '操作过于频繁，请稍后重试。',
  missing_field: '请填写必填项。',
  not_found: '找不到该项目。',
};

/** The reason to show for a refused request, in the customer's language where it is known. */
export function problemText(problem: Problem, locale: Locale): string {
  if (locale === 'zh-CN') {
    const known = chinese[problem.code];
    if (known !== undefined) return problem.field === undefined ? known : `${known}（${problem.field}）`;
    return problem.message === '' ? `请求失败（${problem.code}）。` : problem.message;
  }
  if (problem.code === 'network_error') return 'The server could not be reached; check the connection and try again.';
  return problem.message === '' ? `The request failed (${problem.code}).` : problem.message;
}
