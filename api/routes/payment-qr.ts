// GET /payment-qr/{order id}.png: the QR code of a pending scan-to-pay order (Alipay, WeChat Pay), as a
// PNG an <img> can show, so it needs no API key; it shows only what the order's next_action.data says,
// and only while the order can be paid. Rendered by the qrcode library on each request (no state).
import { Router } from 'express';
import QRCode from 'qrcode';
import { z } from 'zod';
import { getOrderRow } from '../../db/orders/get-order.ts';
import { snapshotFromRow } from '../../db/orders/order-row.ts';
import { ApiError } from '../../domain/errors.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { defineOperations } from '../openapi/operation.ts';
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

/** The contract of this route (api/openapi): the path names the image, `{order id}.png`. */
export const paymentQrOperations = defineOperations([
  {
    method: 'get',
    path: '/payment-qr/:image',
    operationId: 'getPaymentQrImage',
    summary: 'The QR code of a pending Alipay or WeChat Pay order, as a PNG (the order\'s next_action.image_url)',
    description: 'Needs no API key, so an `<img>` can show it; 404 for any order without a payable QR code (not scan-to-pay, paid, cancelled or expired).',
    tag: 'Top-ups',
    access: 'public',
    pathParameters: z.object({ image: z.string().regex(imageNamePattern).meta({ description: 'The order id and `.png`.', example: 'ord_0123456789abcdefghijklmn.png' }) }),
    responses: {
      200: {
        description: 'The PNG; not cached (the order may be paid at any moment).',
        contentType: 'image/png',
        schema: z.string().meta({ format: 'binary' }),
        headers: { 'Cache-Control': { description: '`no-store`.', schema: z.string() } },
      },
    },
    errors: ['rate_limited'],
  },
]);
