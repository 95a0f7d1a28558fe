// The closed list of error codes clients can receive, with their HTTP status and meaning.
// The README's error table is this list; a code is added here before it is used anywhere.

export const errorCodes = {
  invalid_json: { status: 400, meaning: 'The body is not valid JSON.' },
  invalid_request: { status: 400, meaning: 'The body is not a JSON object, or has a field this route does not know.' },
  idempotency_key_required: { status: 400, meaning: 'The route needs an Idempotency-Key header.' },
  idempotency_key_invalid: { status: 400, meaning: 'The Idempotency-Key header is empty, too long or has characters other than printable ASCII.' },
  invalid_cursor: { status: 400, meaning: 'The cursor was not returned by this list, or is damaged.' },
  invalid_query_parameter: { status: 400, meaning: 'A query parameter has a value the route does not accept.' },
  unauthorized: { status: 401, meaning: 'The Authorization header is missing, malformed, or names no active key.' },
  insufficient_balance: { status: 402, meaning: 'The deduction, hold or extension would take the available balance (balance − held) below zero; nothing was recorded.' },
  forbidden: { status: 403, meaning: 'The credentials are valid but not for this route (a customer key on an /admin route, a billing portal session outside the portal\'s routes).' },
  csrf_refused: { status: 403, meaning: 'An ops console form was sent without its session\'s CSRF token, with a wrong one, from another site, or after the session ended; nothing changed.' },
  not_found: { status: 404, meaning: 'No such route, or no such object in this account.' },
  reconciliation_report_not_found: { status: 404, meaning: 'No daily reconciliation has reported on that day (not run yet, or not a day Refill reconciled).' },
  invalid_report_date: { status: 400, meaning: 'A reconciliation report\'s date is not a UTC day written YYYY-MM-DD.' },
  idempotency_key_reused: { status: 409, meaning: 'The Idempotency-Key was already used with a different request.' },
  payload_too_large: { status: 413, meaning: 'The body is larger than the limit.' },
  unsupported_media_type: { status: 415, meaning: 'The body is not sent as application/json.' },
  missing_field: { status: 422, meaning: 'A required field is missing.' },
  invalid_field: { status: 422, meaning: 'A field has the wrong type, length or format.' },
  invalid_amount: { status: 422, meaning: 'An amount is not a positive decimal string such as "12.50".' },
  amount_too_precise: { status: 422, meaning: 'An amount has more than 6 decimals.' },
  amount_too_large: { status: 422, meaning: 'An amount is above 1,000,000,000 units.' },
  unsupported_currency: { status: 422, meaning: 'The currency is not one of the supported ISO codes.' },
  currency_mismatch: { status: 422, meaning: 'The amount is given in a currency other than the account\'s.' },
  invalid_signature: { status: 400, meaning: 'A webhook\'s signature (Stripe-Signature, or Airwallex\'s x-timestamp and x-signature) is missing or does not match its body.' },
  signature_expired: { status: 400, meaning: 'A webhook\'s signature timestamp is more than 300 seconds in the past or in the future (a replay, or a skewed clock).' },
  invalid_event: { status: 400, meaning: 'A validly signed webhook event lacks a field Refill reads or has it in a form its provider never sends; it will never be accepted, so it is not retried. Nothing was recorded.' },
  unknown_package: { status: 422, meaning: 'package_id names no package of the account\'s currency.' },
  payment_method_unavailable: { status: 422, meaning: 'The payment method is not offered for the account\'s currency.' },
  amount_below_minimum: { status: 422, meaning: 'The amount is below the payment method\'s minimum.' },
  amount_above_maximum: { status: 422, meaning: 'The amount is above the payment method\'s maximum.' },
  pay_amount_below_minimum: { status: 422, meaning: 'The promo code\'s discount would take pay_amount below the payment method\'s minimum; choose a larger amount or remove the code. Nothing was reserved.' },
  promo_code_not_found: { status: 422, meaning: 'No promo code by that name.' },
  promo_code_expired: { status: 422, meaning: 'The promo code has expired.' },
  promo_code_exhausted: { status: 422, meaning: 'The promo code has reached its total redemption limit.' },
  promo_code_limit_reached: { status: 422, meaning: 'This account has used the promo code as often as it may.' },
  promo_code_not_applicable: { status: 422, meaning: 'The promo code is for another currency or a larger amount.' },
  promo_code_exists: { status: 409, meaning: 'A promo code with that name already exists.' },
  order_not_resumable: { status: 409, meaning: 'The order is no longer pending, or its checkout has expired.' },
  order_not_cancellable: { status: 409, meaning: 'Only a pending order can be cancelled.' },
  invoice_link_invalid: { status: 403, meaning: 'The invoice download link is incomplete or its signature does not match (a changed or cut link); use the whole link from the email.' },
  invoice_link_expired: { status: 410, meaning: 'The invoice download link is past its expiry (INVOICE_LINK_EXPIRY_DAYS after issue); download the invoice with the API key instead.' },
  invoice_not_ready: { status: 409, meaning: 'The order has no invoice yet: it is issued within seconds of the credit, and never for an order that was not paid.' },
  order_not_reviewable: { status: 409, meaning: 'A bank transfer order that was cancelled or has expired cannot be reviewed.' },
  order_not_in_review: { status: 409, meaning: 'A bank transfer is confirmed or rejected only while its order is in review (processing); a held payment is resolved only while its order is held (needs_review) and its workflow runs.' },
  order_already_reviewed: { status: 409, meaning: 'The bank transfer was already confirmed or rejected, or the held payment resolved, with other details.' },
  amount_mismatch: { status: 422, meaning: 'The amount received differs from the order\'s pay amount; confirm with corrected_credit and a reason.' },
  payment_exception_already_resolved: { status: 409, meaning: 'The payment exception was already resolved with another decision.' },
  payment_exception_not_refundable: { status: 409, meaning: 'The payment exception names no provider payment, so it cannot be refunded from here; refund it at the provider and dismiss it.' },
  order_not_refundable: { status: 409, meaning: 'The order cannot be refunded: it has not succeeded, is refunded in full, or was paid longer ago than the refund window (REFUND_WINDOW_DAYS).' },
  refund_exceeds_refundable: { status: 422, meaning: 'The amount is more than is left to refund of the order (its pay amount less the refunds not rejected or failed).' },
  refund_exceeds_unconsumed_credit: { status: 409, meaning: 'The balance does not hold the credit the refund would take back (most of it was used); ops may refund what it covers.' },
  refund_already_decided: { status: 409, meaning: 'The refund was already approved or rejected with other details, or is past its decision.' },
  refund_not_awaiting_payout: { status: 409, meaning: 'The refund is not waiting for a bank payout (not a bank transfer order, not approved yet, or already confirmed with another reference).' },
  credit_note_not_ready: { status: 409, meaning: 'The refund has no credit note yet: it is issued within seconds of the refund succeeding, and never for a refund that did not.' },
  account_restricted: { status: 403, meaning: 'The account is restricted while a dispute (chargeback) of one of its payments is open: deductions, top-ups and refund requests are refused. Contact support.' },
  account_not_restricted: { status: 409, meaning: 'The account has no restriction to lift.' },
  hold_already_captured: { status: 409, meaning: 'The hold was already captured, for another amount (a capture of the same amount again is answered as the first), or it cannot be voided or extended because it was captured.' },
  capture_exceeds_hold: { status: 422, meaning: 'The capture\'s amount is more than the hold holds; nothing was captured.' },
  hold_expired: { status: 409, meaning: 'The hold reached its expires_at: its money is released and it can no longer be captured or extended.' },
  hold_voided: { status: 409, meaning: 'The hold was voided: it can no longer be captured or extended.' },
  spend_limit_reached: { status: 402, meaning: 'The consumption or hold would take the user past their spend limit for the period (held amounts count); nothing was recorded.' },
  too_many_spend_limits: { status: 422, meaning: 'The account already has the most spend limits it may have (1000).' },
  payment_method_not_found: { status: 422, meaning: 'payment_method_id names no saved card of this account (or one that was deleted).' },
  payment_method_required: { status: 422, meaning: 'Auto-recharge is enabled without payment_method_id and the account has no default card: save a card first (POST /v1/payment-methods/setup).' },
  consent_required: { status: 422, meaning: 'Enabling auto-recharge needs the customer\'s consent: send consent with the customer\'s ip_address and user_agent as your site saw them.' },
  webhook_url_not_allowed: { status: 422, meaning: 'The webhook endpoint\'s url is not an http(s) URL, or names a loopback, link-local or private address that WEBHOOK_ALLOWED_DESTINATIONS does not allow.' },
  too_many_webhook_endpoints: { status: 422, meaning: 'There are already as many webhook endpoints as allowed (100).' },
  webhook_endpoint_disabled: { status: 409, meaning: 'The webhook endpoint is disabled (by ops, or after three days of failed deliveries); enable it with PATCH {"enabled": true} first.' },
  invalid_path: { status: 400, meaning: 'The path has malformed percent-encoding (such as %ZZ or a cut-off UTF-8 sequence).' },
  redirect_not_allowed: { status: 422, meaning: 'success_url or cancel_url names a host outside ALLOWED_REDIRECT_HOSTS.' },
  request_timeout: { status: 408, meaning: 'The request\'s headers or body did not arrive within the server\'s timeouts; the connection is closed.' },
  request_headers_too_large: { status: 431, meaning: 'The request\'s headers are larger than the server accepts (16 KiB); the connection is closed.' },
  rate_limited: { status: 429, meaning: 'Too many requests of this kind from this key or address, or too many failed authentications; retry after the Retry-After header\'s seconds.' },
  payment_provider_error: { status: 502, meaning: 'The payment provider refused to open the checkout; the order failed and nothing was charged.' },
  service_unavailable: { status: 503, meaning: 'A dependency (Postgres or Temporal) is down, or the ledger\'s queue is full; retry shortly with the same Idempotency-Key.' },
  internal_error: { status: 500, meaning: 'An unexpected failure; it is logged. Retry with the same Idempotency-Key.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** A failure with a code from the list above, thrown anywhere in the API and rendered by its error handler. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = errorCodes[code].status;
  }
}
