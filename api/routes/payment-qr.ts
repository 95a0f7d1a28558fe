// GET /payment-qr/{order id}.png: the QR code of a pending scan-to-pay order (Alipay, WeChat Pay), as a
// PNG an <img> can show, so it needs no API key; it shows only what the order's next_action.data says,
// and only while the order can be paid. Rendered by the qrcode library on each request (no state).
import { Router } from 'express';
import QRCode from 'qrcode';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { nextActionOf } from '../topups/next-action.ts';

/** Large enough to scan from a screen at arm's length; the code's content is at most a few hundred characters. */
const qrImageWidthPixels = 320;
const imageNamePattern = /^(ord_[0-9a-z]{24})\.png$/;

export function paymentQrRoutes({ sql, config }: ApiDependencies): Router {
  const router = Router();
  router.get('/payment-qr/:image', async (request, response) => {
    const orderId = imageNamePattern.exec(request.params.image)?.[1];
    const row = orderId === undefined ? null : await getOrderRow(sql, orderId, null);
    const action = row === null ? null : nextActionOf(snapshotFromRow(row), config.api.publicBaseUrl);
    if (action === null) throw new ApiError('not_found', 'No payable QR code for that order.');
    const image = await QRCode.toBuffer(action.data, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: qrImageWidthPixels });
    response.set('Cache-Control', 'no-store').type('png').send(image);
  });
  return router;
}
