// The fields of a Stripe event that Refill reads, checked once its signature is verified and before
// anything is recorded. A signed event that fails here can never succeed, so the route answers
// 400 invalid_event (Stripe stops retrying a 4xx) rather than a 5xx that would be retried for days.
// Only what Refill reads is held to a shape; the rest of the event is kept as sent, made storable.
import { z } from 'zod';
import { loneSurrogatePattern, textProblem } from '../validation.ts';
import { checkoutEventTypes, type CheckoutEventType } from './stripe-event-format.ts';

export const maximumStripeIdLength = 255;
/** Stripe's first events are from 2011; nothing it sends is older. */
const earliestEventSeconds = Date.UTC(2010, 0, 1) / 1000;
/** A clock running ahead by up to a day is tolerated; later than that is not a real event. */
const maximumFutureSkewSeconds = 24 * 60 * 60;
/** Stripe's events nest a few levels (expanded objects at most four); far deeper is not an event. */
export const maximumPayloadDepth = 64;


/** Text Refill stores or compares: no control characters (PostgreSQL refuses NUL), well-formed Unicode. */
export function text(maximumLength: number) {
  return z
    .string()
    .max(maximumLength)
    .superRefine((value, context) => {
      const problem = textProblem(value);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem });
    });
}

const identifier = text(maximumStripeIdLength).min(1);

// Real ids are `evt_` and letters and digits; underscores are allowed for test and thin-event ids.
const eventId = z
  .string()
  .max(maximumStripeIdLength)
  .regex(/^evt_[A-Za-z0-9_]+$/, { message: 'must be a Stripe event id (evt_ and letters, digits or underscores)' });

const unixSeconds = z
  .number()
  .int({ message: 'must be a whole number of seconds' })
  .refine((value) => value >= earliestEventSeconds && value <= Date.now() / 1000 + maximumFutureSkewSeconds, {
    message: 'must be a plausible Unix time in seconds',
  });

export const eventSchema = z.object({
  id: eventId,
  type: identifier,
  created: unixSeconds,
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

// The session fields the order workflow reads; Stripe always sends them, but they may be null.
const checkoutSessionSchema = z.object({
  id: identifier,
  client_reference_id: text(maximumStripeIdLength).nullish(),
  metadata: z.looseObject({ order_id: text(maximumStripeIdLength).optional() }).nullish(),
  payment_status: identifier,
  amount_total: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  currency: text(16).nullish(),
  payment_intent: z.union([identifier, z.looseObject({ id: identifier })]).nullish(),
});

export type CheckoutSession = z.infer<typeof checkoutSessionSchema>;

/** A verified event reduced to what Refill reads, and the whole event as it may be stored. */
export interface ValidStripeEvent {
  id: string;
  type: string;
  created: number;
  /** The session, for the checkout event types; null for every other type. */
  checkout: { type: CheckoutEventType; session: CheckoutSession } | null;
  /** The event as sent, with NUL and lone surrogates replaced (PostgreSQL's jsonb refuses both). */
  payload: unknown;
}

/** A signed event without the fields Refill reads; `field` names the first one at fault. */
export class InvalidStripeEvent extends Error {
  override name = 'InvalidStripeEvent';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`The event's ${field} ${reason}.`);
  }
}

function isCheckoutEventType(type: string): type is CheckoutEventType {
  return (checkoutEventTypes as readonly string[]).includes(type);
}

/** Checks a parsed webhook body; throws InvalidStripeEvent when it is not an event Refill can act on. */
export function validateStripeEvent(body: unknown): ValidStripeEvent {
  if (nestingExceeds(body, maximumPayloadDepth)) throw new InvalidStripeEvent('body', `nests deeper than ${maximumPayloadDepth} levels`);
  const event = parseOrThrow(eventSchema, body, []);
  const session = isCheckoutEventType(event.type)
    ? parseOrThrow(checkoutSessionSchema, event.data.object, ['data', 'object'])
    : null;
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    checkout: session === null ? null : { type: event.type as CheckoutEventType, session },
    payload: storable(body),
  };
}

export function parseOrThrow<Schema extends z.ZodType>(schema: Schema, value: unknown, prefix: string[]): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [...prefix, ...issue.path.map(String)];
  if (path.length === 0) throw new InvalidStripeEvent('body', 'is not a JSON object');
  throw new InvalidStripeEvent(path.join('.'), reasonOf(issue));
}

function reasonOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'is missing';
  // This module's own messages read as the end of a sentence; zod's are quoted.
  return issue.message.startsWith('must ') ? issue.message : `is invalid (${issue.message})`;
}

/** Whether a JSON value nests deeper than `limit`; iterative, so no depth can exhaust the stack. */
export function nestingExceeds(value: unknown, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth >= limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/** A copy in which every string and key is text PostgreSQL stores: NUL and lone surrogates become U+FFFD. */
export function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [storableText(key), storable(child)]));
}

function storableText(value: string): string {
  return value.replace(/\u0000/g, '\ufffd').replace(new RegExp(loneSurrogatePattern.source, 'g'), '\ufffd');
}
