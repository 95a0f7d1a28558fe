// What the payer does next, on the order object: for a scan-to-pay method (Alipay, WeChat Pay), the QR
// code to show, with a PNG of it and when it stops being payable. Derived from the order's row (its
// checkout_url holds the QR code's content for those methods), so nothing is stored twice.
import type { OrderSnapshot } from '../../domain/orders.ts';
import { paymentFlows } from '../../domain/pricing.ts';

export interface QrCodeNextAction {
  type: 'qr_code';
  /** The QR code's content (weixin://…, https://qr.alipay.com/…, or the sandbox's page). */
  data: string;
  /** A PNG of the code (GET /payment-qr/{order id}.png). */
  image_url: string;
  expires_at: string;
}

/** The path of an order's QR code image. */
export function qrCodeImagePath(orderId: string): string {
  return `/payment-qr/${orderId}.png`;
}

/** Whether the order is paid by scanning a code (its checkout_url is then the code's content). */
export function isScanToPay(order: Pick<OrderSnapshot, 'terms'>): boolean {
  const method = order.terms.paymentMethod;
  return method !== 'auto_recharge' && paymentFlows[method] === 'qr_code';
}

/** The order's QR code while it can be paid; null for every other order. */
export function nextActionOf(order: OrderSnapshot, publicBaseUrl: string): QrCodeNextAction | null {
  if (!isScanToPay(order) || order.status !== 'pending' || order.checkoutUrl === null) return null;
  return { type: 'qr_code', data: order.checkoutUrl, image_url: `${publicBaseUrl}${qrCodeImagePath(order.orderId)}`, expires_at: order.expiresAt };
}
