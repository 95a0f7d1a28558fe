// Configuration of the two processes (API and worker), read once from the environment at start,
// validated, and passed down. Nothing else in the code base reads process.env.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PayeeAccount } from '../domain/bank-transfers.ts';
import type { RefundPolicy } from '../domain/refunds.ts';
import {
  adminOperatorsOf,
  duplicateOperatorReason,
  parseAdminTokens,
  singleTokenOperator,
  type AdminOperator,
  type OperatorToken,
} from './admin-operators.ts';
import { maximumDeadlineBusinessDays } from '../domain/business-days.ts';
import { defaultPaperworkTaskQueue } from '../domain/orders.ts';
import { webhookDestinationPolicies, type WebhookDestinationPolicy } from '../domain/webhooks.ts';
import { productionIssues, refillEnvironments, type RefillEnvironment } from './production-rules.ts';
import { derivedInvoiceLinkSecret, type InvoiceLinkSettings } from '../ids/invoice-links.ts';
import { derivedPortalSessionSecret, type PortalSessionSettings } from '../ids/portal-sessions.ts';

/** Every environment variable the processes read; docker-compose.yml and the README are checked against it. */
export const configEnvironmentVariables = [
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_PAPERWORK_TASK_QUEUE',
  'STARTUP_TIMEOUT_SECONDS',
  'ORDER_START_TIMEOUT_SECONDS',
  'WORKFLOW_BUNDLE_PATH',
  'PORT',
  'ADMIN_TOKEN',
  'ADMIN_TOKENS',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_API_BASE',
  'AIRWALLEX_CLIENT_ID',
  'AIRWALLEX_API_KEY',
  'AIRWALLEX_WEBHOOK_SECRET',
  'AIRWALLEX_API_BASE',
  'PUBLIC_BASE_URL',
  'SMTP_URL',
  'MAIL_FROM',
  'INVOICE_ISSUER_NAME',
  'INVOICE_ISSUER_ADDRESS',
  'INVOICE_ISSUER_TAX_ID',
  'INVOICE_NUMBER_PREFIX',
  'INVOICE_LINK_SECRET',
  'INVOICE_LINK_EXPIRY_DAYS',
  'PORTAL_SESSION_SECRET',
  'PORTAL_SESSION_EXPIRY_MINUTES',
  'BANK_TRANSFER_BANK_NAME',
  'BANK_TRANSFER_ACCOUNT_NAME',
  'BANK_TRANSFER_ACCOUNT_NUMBER',
  'BANK_TRANSFER_DEADLINE_BUSINESS_DAYS',
  'ORDER_EXPIRY_MINUTES',
  'LOG_LEVEL',
  'REFILL_ENV',
  'ALLOWED_REDIRECT_HOSTS',
  'TRUST_PROXY_HOPS',
  'HTTP_HEADERS_TIMEOUT_SECONDS',
  'HTTP_REQUEST_TIMEOUT_SECONDS',
  'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS',
  'RATE_LIMIT_WINDOW_SECONDS',
  'RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS',
  'RATE_LIMIT_ACCOUNT_CREATIONS_PER_ADDRESS',
  'RATE_LIMIT_ORDERS_PER_KEY',
  'RATE_LIMIT_QUOTES_PER_KEY',
  'RATE_LIMIT_WEBHOOKS_PER_ADDRESS',
  'RATE_LIMIT_PAGES_PER_ADDRESS',
  'API_PROCESSES',
  'API_KEY_CACHE_SECONDS',
  'API_KEY_CACHE_ENTRIES',
  'REFUND_WINDOW_DAYS',
  'REFUND_AUTO_APPROVAL_HOURS',
  'REFUND_AUTO_APPROVAL_MAX_CONSUMED_PERCENT',
  'REFUND_PAYOUT_DEADLINE_DAYS',
  'REFUND_PAYOUT_REMINDER_HOURS',
  'REFUND_OPS_EMAIL',
  'WEBHOOK_ALLOWED_DESTINATIONS',
  'WEBHOOK_ATTEMPT_TIMEOUT_SECONDS',
  'WEBHOOK_FIRST_RETRY_SECONDS',
  'WEBHOOK_POLL_INTERVAL_MILLISECONDS',
  'WEBHOOK_OPS_EMAIL',
  'RECONCILIATION_INTERVAL_SECONDS',
  'RECONCILIATION_PENDING_AGE_SECONDS',
  'RECONCILIATION_PROCESSING_AGE_SECONDS',
  'RECONCILIATION_DAILY_TIME',
  'WORKER_METRICS_PORT',
  'WORKER_PAPERWORK',
  'PAPERWORK_METRICS_PORT',
  'OPS_SESSION_HOURS',
  'TEMPORAL_UI_URL',
] as const;

export type ConfigEnvironmentVariable = (typeof configEnvironmentVariables)[number];
export type Environment = Partial<Record<string, string | undefined>>;

const minimumAdminTokenLength = 16;
/** The Temporal dev server's UI (temporal server start-dev), where local ops find a workflow. */
const defaultTemporalUiUrl = 'http://localhost:8233';
const minimumOrderExpiryMinutes = 30; // Stripe refuses Checkout Sessions that expire sooner.
const maximumOrderExpiryMinutes = 24 * 60; // Stripe refuses Checkout Sessions that expire later.
const maximumBankTransferFieldLength = 200;
const maximumInvoiceIssuerFieldLength = 300;

const urlWithProtocols = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((protocol) => `${protocol}//`).join(' or ')}` },
  );

const integerBetween = (minimum: number, maximum: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number between ${minimum} and ${maximum}` })
    .transform(Number)
    .refine((value) => value >= minimum && value <= maximum, {
      message: `must be a whole number between ${minimum} and ${maximum}`,
    });

/** A host name as the WHATWG URL parser writes it (lower case, punycode), or null when it is not one. */
function normalisedHostName(value: string): string | null {
  if (!/^(\[[0-9A-Fa-f:.]+\]|[^\s/\\:@?#[\]]+)$/.test(value)) return null;
  try {
    return new URL(`http://${value}/`).hostname;
  } catch {
    return null;
  }
}

const hostNameList = z.string().transform((value, context) => {
  const hosts = value.split(',').map((host) => host.trim()).filter((host) => host !== '').map(normalisedHostName);
  if (hosts.length > 0 && hosts.every((host) => host !== null)) return [...new Set(hosts as string[])];
  context.addIssue({ code: 'custom', message: 'must be comma-separated host names, e.g. shop.example.com,localhost' });
  return z.NEVER;
});

/** A rate limit: requests per window; 0 turns the limit off. */
const rateLimit = (defaultLimit: number) => integerBetween(0, 1_000_000).default(defaultLimit);

const environmentSchema = z
  .object({
    DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']),
    DATABASE_POOL_SIZE: integerBetween(1, 200).default(10),
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, { message: 'must be host:port, e.g. localhost:7233' })
      .default('localhost:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).max(255).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).max(255).default('refill-orders'),
    // Where orders' receipts, invoices and emails run, with worker slots of their own; unset, <TEMPORAL_TASK_QUEUE>-paperwork.
    TEMPORAL_PAPERWORK_TASK_QUEUE: z.string().min(1).max(255).optional(),
    // How long a starting process waits for PostgreSQL and Temporal before it gives up with one line.
    STARTUP_TIMEOUT_SECONDS: integerBetween(1, 3_600).default(120),
    // How long POST /v1/topups waits for a worker to record the order before it answers 503.
    ORDER_START_TIMEOUT_SECONDS: integerBetween(1, 60).default(10),
    // A workflow bundle built ahead of time (npm run build:workflows); unset, the worker bundles at start.
    WORKFLOW_BUNDLE_PATH: z.string().min(1).max(4_096).optional(),
    PORT: integerBetween(0, 65535).default(3000),
    // The worker's GET /metrics (its own and the Temporal SDK's); unset: no metrics server.
    WORKER_METRICS_PORT: integerBetween(1, 65535).optional(),
    // Where the worker process runs the paperwork worker: beside the order worker, or (separate) not at
    // all, for worker/paperwork-main.ts to run it in a process of its own at a lower CPU priority.
    WORKER_PAPERWORK: z.enum(['in-process', 'separate']).default('in-process'),
    // The paperwork process's GET /metrics (its own and the Temporal SDK's); unset: no metrics server.
    PAPERWORK_METRICS_PORT: integerBetween(1, 65535).optional(),
    ADMIN_TOKEN: z
      .string()
      .min(minimumAdminTokenLength, { message: `must be set to a secret of at least ${minimumAdminTokenLength} characters` })
      .optional(),
    // Named operators, `name:token,name:token` (config/admin-operators.ts); the token decides the operator.
    ADMIN_TOKENS: z
      .string()
      .transform((value, context): OperatorToken[] => {
        const parsed = parseAdminTokens(value);
        if (parsed.ok) return parsed.entries;
        context.addIssue({ code: 'custom', message: parsed.reason });
        return z.NEVER;
      })
      .optional(),
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, { message: 'must be a Stripe secret key (sk_test_… or sk_live_…)' })
      .optional(),
    STRIPE_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=_-]+$/, { message: 'must be a Stripe webhook signing secret (whsec_…)' })
      .optional(),
    STRIPE_API_BASE: urlWithProtocols(['http:', 'https:']).optional(),
    // Airwallex (activities/payments/airwallex-provider.ts): both credentials, or neither (the sandbox stands in).
    AIRWALLEX_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, { message: 'must be an Airwallex client id (letters, digits, - or _)' }).optional(),
    AIRWALLEX_API_KEY: z.string().regex(/^[\x21-\x7e]{16,500}$/, { message: 'must be an Airwallex API key (16 to 500 printable characters)' }).optional(),
    AIRWALLEX_WEBHOOK_SECRET: z.string().regex(/^[\x21-\x7e]{8,500}$/, { message: 'must be the Airwallex webhook secret (8 to 500 printable characters)' }).optional(),
    // https://api-demo.airwallex.com (the demo environment, the default) or https://api.airwallex.com.
    AIRWALLEX_API_BASE: urlWithProtocols(['http:', 'https:']).default('https://api-demo.airwallex.com'),
    PUBLIC_BASE_URL: urlWithProtocols(['http:', 'https:']).optional(),
    SMTP_URL: urlWithProtocols(['smtp:', 'smtps:']).default('smtp://localhost:1025'),
    // How long an ops console session lasts after sign-in (api/ops/ops-sessions.ts).
    OPS_SESSION_HOURS: integerBetween(1, 168).default(8),
    // The Temporal Web UI the ops console links each item's workflow to; unset, http://localhost:8233 outside production.
    TEMPORAL_UI_URL: urlWithProtocols(['http:', 'https:']).optional(),
    MAIL_FROM: z.string().min(3).max(320).default('Refill <billing@refill.localhost>'),
    // Printed on every invoice, in a font that covers Chinese (activities/invoices/document-fonts.ts). The defaults are
    // placeholders that make an unconfigured deployment's invoices recognisable as such.
    INVOICE_ISSUER_NAME: z.string().min(1).max(maximumInvoiceIssuerFieldLength).default('Refill Example Ltd.'),
    INVOICE_ISSUER_ADDRESS: z.string().min(1).max(maximumInvoiceIssuerFieldLength).default('1 Example Street, Example City'),
    INVOICE_ISSUER_TAX_ID: z.string().min(1).max(maximumInvoiceIssuerFieldLength).default('EX000000000'),
    // Names the invoice number series: RF-2026-000123. Changing it starts a new series at 1.
    INVOICE_NUMBER_PREFIX: z
      .string()
      .regex(/^[A-Z]{1,8}$/, { message: 'must be 1 to 8 capital letters, e.g. RF' })
      .default('RF'),
    // The key of the invoice email's signed download links (ids/invoice-links.ts); unset, derived from
    // the webhook secret. Changing it ends every link sent before.
    INVOICE_LINK_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).max(500).optional(),
    INVOICE_LINK_EXPIRY_DAYS: integerBetween(1, 366).default(30),
    // The key of the billing portal's session links (ids/portal-sessions.ts); unset, derived from the
    // webhook secret. Changing it ends every portal session at once.
    PORTAL_SESSION_SECRET: z.string().min(32, { message: 'must be at least 32 characters' }).max(500).optional(),
    PORTAL_SESSION_EXPIRY_MINUTES: integerBetween(5, 24 * 60).default(60),
    // The company account customers transfer to; shown on every bank transfer order and copied into it.
    // The defaults are placeholders that make an unconfigured deployment's instructions recognisable as such.
    BANK_TRANSFER_BANK_NAME: z.string().trim().min(1).max(maximumBankTransferFieldLength).default('Refill Example Bank'),
    BANK_TRANSFER_ACCOUNT_NAME: z.string().trim().min(1).max(maximumBankTransferFieldLength).default('Refill Example Ltd.'),
    BANK_TRANSFER_ACCOUNT_NUMBER: z
      .string()
      .trim()
      .regex(/^[0-9A-Za-z][0-9A-Za-z -]{3,99}$/, { message: 'must be 4 to 100 letters, digits, spaces or hyphens' })
      .default('0000 0000 0000 0000'),
    BANK_TRANSFER_DEADLINE_BUSINESS_DAYS: integerBetween(1, maximumDeadlineBusinessDays).default(3),
    ORDER_EXPIRY_MINUTES: integerBetween(minimumOrderExpiryMinutes, maximumOrderExpiryMinutes).default(
      minimumOrderExpiryMinutes,
    ),
    LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    REFILL_ENV: z
      .enum(refillEnvironments, { message: `must be one of ${refillEnvironments.join(', ')}` })
      .default('development'),
    // Where success_url and cancel_url may send a payer; unset: PUBLIC_BASE_URL's host and localhost.
    ALLOWED_REDIRECT_HOSTS: hostNameList.optional(),
    // Proxies in front of the API whose X-Forwarded-For is trusted: the client address is the one they saw.
    TRUST_PROXY_HOPS: integerBetween(0, 10).default(0),
    HTTP_HEADERS_TIMEOUT_SECONDS: integerBetween(1, 300).default(10),
    HTTP_REQUEST_TIMEOUT_SECONDS: integerBetween(1, 600).default(30),
    HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: integerBetween(1, 600).default(5),
    RATE_LIMIT_WINDOW_SECONDS: integerBetween(1, 3_600).default(60),
    RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS: rateLimit(60),
    RATE_LIMIT_ACCOUNT_CREATIONS_PER_ADDRESS: rateLimit(600),
    RATE_LIMIT_ORDERS_PER_KEY: rateLimit(60),
    RATE_LIMIT_QUOTES_PER_KEY: rateLimit(600),
    RATE_LIMIT_WEBHOOKS_PER_ADDRESS: rateLimit(1_200),
    RATE_LIMIT_PAGES_PER_ADDRESS: rateLimit(300),
    // API processes behind the one port (node:cluster); the API keeps no state between requests.
    API_PROCESSES: integerBetween(1, 64).default(1),
    // How long an API key's lookup is reused (0: never); revocations are refused at once regardless.
    API_KEY_CACHE_SECONDS: integerBetween(0, 60).default(5),
    API_KEY_CACHE_ENTRIES: integerBetween(1, 1_000_000).default(10_000),
    // The refund policy (README "Refunds and disputes"): how long after payment a customer may ask, and
    // which requests are approved without ops (0 hours: none).
    REFUND_WINDOW_DAYS: integerBetween(0, 3_650).default(30),
    REFUND_AUTO_APPROVAL_HOURS: integerBetween(0, 24 * 365).default(24),
    REFUND_AUTO_APPROVAL_MAX_CONSUMED_PERCENT: integerBetween(0, 100).default(10),
    // How long ops have to pay a bank transfer refund out and confirm it, and when they are reminded.
    REFUND_PAYOUT_DEADLINE_DAYS: integerBetween(1, 365).default(14),
    REFUND_PAYOUT_REMINDER_HOURS: integerBetween(1, 24 * 365).default(72),
    REFUND_OPS_EMAIL: z.string().min(3).max(320).optional(),
    // Outgoing webhooks (README "Outgoing webhooks"): which addresses deliveries may reach (public only,
    // also loopback, or any), each attempt's timeout, the first retry's delay (doubled each time for
    // three days), how often the worker looks for due deliveries, and who is told of a disabled endpoint.
    WEBHOOK_ALLOWED_DESTINATIONS: z
      .enum(webhookDestinationPolicies, { message: `must be one of ${webhookDestinationPolicies.join(', ')}` })
      .default('public'),
    WEBHOOK_ATTEMPT_TIMEOUT_SECONDS: integerBetween(1, 60).default(10),
    WEBHOOK_FIRST_RETRY_SECONDS: integerBetween(1, 3_600).default(30),
    WEBHOOK_POLL_INTERVAL_MILLISECONDS: integerBetween(50, 60_000).default(1_000),
    WEBHOOK_OPS_EMAIL: z.string().min(3).max(320).optional(),
    // Reconciliation (README "Reconciliation"): how often the schedule asks the provider about orders
    // it never heard back on, and how old a pending or processing order must be before it is asked about.
    RECONCILIATION_INTERVAL_SECONDS: integerBetween(10, 86_400).default(300),
    RECONCILIATION_PENDING_AGE_SECONDS: integerBetween(0, 30 * 86_400).default(900),
    RECONCILIATION_PROCESSING_AGE_SECONDS: integerBetween(0, 30 * 86_400).default(900),
    RECONCILIATION_DAILY_TIME: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be a UTC time of day HH:MM, e.g. 02:00' }).default('02:00'),
  })
  .superRefine((environment, context) => {
    const adminTokenIssue = adminCredentialIssue(environment.ADMIN_TOKEN, environment.ADMIN_TOKENS);
    if (adminTokenIssue !== null) context.addIssue({ code: 'custom', path: ['ADMIN_TOKENS'], message: adminTokenIssue });
    if (environment.STRIPE_SECRET_KEY !== undefined && environment.STRIPE_WEBHOOK_SECRET === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['STRIPE_WEBHOOK_SECRET'],
        message: 'must be set when STRIPE_SECRET_KEY is set, or webhooks cannot be verified',
      });
    }
    airwallexCredentialIssues(environment).forEach((issue) => context.addIssue(issue));
    if (environment.REFILL_ENV === 'production') productionIssues(environment).forEach((issue) => context.addIssue(issue));
    // Node refuses a server whose headers may take longer than the whole request.
    if (environment.HTTP_HEADERS_TIMEOUT_SECONDS > environment.HTTP_REQUEST_TIMEOUT_SECONDS) {
      context.addIssue({
        code: 'custom',
        path: ['HTTP_HEADERS_TIMEOUT_SECONDS'],
        message: 'must be at most HTTP_REQUEST_TIMEOUT_SECONDS',
      });
    }
  });

/** Why the admin credentials cannot be used: none at all, or two operators that cannot be told apart. */
function adminCredentialIssue(adminToken: string | undefined, adminTokens: OperatorToken[] | undefined): string | null {
  if (adminToken === undefined && adminTokens === undefined) {
    return 'or ADMIN_TOKEN must be set: the /admin routes need at least one operator';
  }
  const single = adminToken === undefined ? [] : [{ name: singleTokenOperator, token: adminToken }];
  return duplicateOperatorReason([...single, ...(adminTokens ?? [])]);
}

export interface StripeConfig {
  /** The sandbox provider stands in for Stripe when no secret key is configured. */
  mode: 'stripe' | 'sandbox';
  secretKey: string | undefined;
  webhookSecret: string;
  apiBase: URL | undefined;
}

export interface AirwallexConfig {
  /** The sandbox provider stands in for Airwallex when no credentials are configured. */
  mode: 'airwallex' | 'sandbox';
  clientId: string | undefined;
  apiKey: string | undefined;
  /** Without AIRWALLEX_WEBHOOK_SECRET, a random one: no webhook can be verified, and none is expected. */
  webhookSecret: string;
  apiBase: URL;
}

/** Airwallex's credentials come as a pair, with the webhook secret that verifies what its events say. */
function airwallexCredentialIssues(environment: Record<string, unknown>): { code: 'custom'; path: string[]; message: string }[] {
  const hasClientId = environment.AIRWALLEX_CLIENT_ID !== undefined;
  const hasApiKey = environment.AIRWALLEX_API_KEY !== undefined;
  if (hasClientId !== hasApiKey) {
    const missing = hasClientId ? 'AIRWALLEX_API_KEY' : 'AIRWALLEX_CLIENT_ID';
    return [{ code: 'custom', path: [missing], message: `must be set with ${hasClientId ? 'AIRWALLEX_CLIENT_ID' : 'AIRWALLEX_API_KEY'}: Airwallex needs both` }];
  }
  if (hasClientId && environment.AIRWALLEX_WEBHOOK_SECRET === undefined) {
    return [{ code: 'custom', path: ['AIRWALLEX_WEBHOOK_SECRET'], message: 'must be set when AIRWALLEX_CLIENT_ID is set, or webhooks cannot be verified' }];
  }
  return [];
}

/** Requests per window for each limited kind of request; 0 means not limited. */
export interface RateLimits {
  windowMilliseconds: number;
  authenticationFailuresPerAddress: number;
  accountCreationsPerAddress: number;
  ordersPerKey: number;
  quotesPerKey: number;
  webhooksPerAddress: number;
  pagesPerAddress: number;
}

/** How the API's HTTP edge defends itself: redirect hosts, client addresses, timeouts, rate limits. */
export interface HttpEdgeConfig {
  allowedRedirectHosts: string[];
  trustProxyHops: number;
  timeouts: { headersMilliseconds: number; requestMilliseconds: number; keepAliveMilliseconds: number };
  rateLimits: RateLimits;
}

/** The API key lookups each API process keeps (api/api-key-cache.ts): at most `maximumEntries`, each for `seconds`. */
export interface ApiKeyCacheConfig {
  seconds: number;
  maximumEntries: number;
}

export interface Config {
  /** REFILL_ENV: development (the default), test or production. */
  environment: RefillEnvironment;
  database: { url: string; poolSize: number };
  temporal: { address: string; namespace: string; taskQueue: string; paperworkTaskQueue: string; orderStartTimeoutSeconds: number; workflowBundlePath: string | undefined };
  startup: { timeoutSeconds: number };
  /** adminOperators: everyone who may use /admin, with the digest of their token (never the token). */
  api: { port: number; adminOperators: AdminOperator[]; publicBaseUrl: string; processes: number; apiKeyCache: ApiKeyCacheConfig };
  /** The ops console (/ops): session length (OPS_SESSION_HOURS) and the Temporal UI it links to (TEMPORAL_UI_URL; null: no links). */
  opsConsole: { sessionHours: number; temporalUiUrl: string | null };
  stripe: StripeConfig;
  airwallex: AirwallexConfig;
  mail: { smtpUrl: string; from: string };
  invoices: { issuerName: string; issuerAddress: string; issuerTaxId: string; numberPrefix: string; links: InvoiceLinkSettings };
  /** The billing portal (api/routes/portal.ts): its session links' key and lifetime. */
  portal: { sessions: PortalSessionSettings };
  bankTransfers: { payee: PayeeAccount; deadlineBusinessDays: number };
  orders: { expiryMinutes: number };
  refunds: RefundConfig;
  logLevel: string;
  http: HttpEdgeConfig;
  /** The worker's metrics server (worker/metrics-server.ts); null: none. */
  workerMetrics: { port: number | null };
  /** WORKER_PAPERWORK: where the worker process runs the paperwork worker (worker/create-worker.ts). */
  worker: { paperwork: 'in-process' | 'separate'; paperworkMetricsPort: number | null };
  webhooks: WebhookConfig;
  reconciliation: ReconciliationConfig;
}

/** The reconciliation schedule (RECONCILIATION_*). */
export interface ReconciliationConfig {
  interval_seconds: number;
  pendingAge_seconds: number;
  processingAge_seconds: number;
  /** When the daily reconciliation runs each day, UTC (RECONCILIATION_DAILY_TIME). */
  daily: { hour: number; minute: number };
}

/** Outgoing webhooks (WEBHOOK_*): what the worker's dispatcher needs. */
export interface WebhookConfig {
  allowedDestinations: WebhookDestinationPolicy;
  attemptTimeout_ms: number;
  firstRetryDelay_ms: number;
  pollInterval_ms: number;
  /** WEBHOOK_OPS_EMAIL, else REFUND_OPS_EMAIL, else the sender's address. */
  opsEmail: string;
}

/** The refund policy and the bank payout's wait (REFUND_*). */
export interface RefundConfig {
  policy: RefundPolicy;
  payoutDeadlineMilliseconds: number;
  payoutReminderMilliseconds: number;
  opsEmail: string | undefined;
}

/** Thrown when the environment is invalid; its message is one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The sandbox's webhook secret when STRIPE_WEBHOOK_SECRET is unset: random for this process, so no one
 * outside it can sign an event it accepts. `npm start` instead keeps one per installation in
 * .data/webhook-secret and passes it to both processes; several API processes sharing one database
 * need STRIPE_WEBHOOK_SECRET set to the same value.
 */
function processWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

/** Reads and validates the configuration from an environment (process.env at the entry points). */
export function loadConfig(environment: Environment): Config {
  const relevant: Record<string, string> = {};
  for (const name of configEnvironmentVariables) {
    const value = environment[name];
    // An empty variable means "not set", as in most shells' `VAR= command`.
    if (value !== undefined && value !== '') relevant[name] = value;
  }
  const parsed = environmentSchema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const message = relevant[name] === undefined && issue.code === 'invalid_type' ? 'must be set' : issue.message;
    throw new ConfigError(`Invalid configuration: ${name} ${message}`);
  }
  const value = parsed.data;
  const publicBaseUrl = (value.PUBLIC_BASE_URL ?? `http://localhost:${value.PORT}`).replace(/\/+$/, '');
  const webhookSecret = value.STRIPE_WEBHOOK_SECRET ?? processWebhookSecret();
  return {
    environment: value.REFILL_ENV,
    database: { url: value.DATABASE_URL, poolSize: value.DATABASE_POOL_SIZE },
    temporal: {
      address: value.TEMPORAL_ADDRESS,
      namespace: value.TEMPORAL_NAMESPACE,
      taskQueue: value.TEMPORAL_TASK_QUEUE,
      paperworkTaskQueue: value.TEMPORAL_PAPERWORK_TASK_QUEUE ?? defaultPaperworkTaskQueue(value.TEMPORAL_TASK_QUEUE),
      orderStartTimeoutSeconds: value.ORDER_START_TIMEOUT_SECONDS,
      workflowBundlePath: value.WORKFLOW_BUNDLE_PATH,
    },
    startup: { timeoutSeconds: value.STARTUP_TIMEOUT_SECONDS },
    workerMetrics: { port: value.WORKER_METRICS_PORT ?? null },
    worker: { paperwork: value.WORKER_PAPERWORK, paperworkMetricsPort: value.PAPERWORK_METRICS_PORT ?? null },
    api: {
      port: value.PORT,
      adminOperators: adminOperatorsOf(value.ADMIN_TOKEN, value.ADMIN_TOKENS ?? []),
      publicBaseUrl,
      processes: value.API_PROCESSES,
      apiKeyCache: { seconds: value.API_KEY_CACHE_SECONDS, maximumEntries: value.API_KEY_CACHE_ENTRIES },
    },
    opsConsole: {
      sessionHours: value.OPS_SESSION_HOURS,
      temporalUiUrl: (value.TEMPORAL_UI_URL ?? (value.REFILL_ENV === 'production' ? null : defaultTemporalUiUrl))?.replace(/\/+$/, '') ?? null,
    },
    stripe: {
      mode: value.STRIPE_SECRET_KEY === undefined ? 'sandbox' : 'stripe',
      secretKey: value.STRIPE_SECRET_KEY,
      webhookSecret,
      apiBase: value.STRIPE_API_BASE === undefined ? undefined : new URL(value.STRIPE_API_BASE),
    },
    airwallex: {
      mode: value.AIRWALLEX_CLIENT_ID === undefined ? 'sandbox' : 'airwallex',
      clientId: value.AIRWALLEX_CLIENT_ID,
      apiKey: value.AIRWALLEX_API_KEY,
      webhookSecret: value.AIRWALLEX_WEBHOOK_SECRET ?? processWebhookSecret(),
      apiBase: new URL(value.AIRWALLEX_API_BASE),
    },
    mail: { smtpUrl: value.SMTP_URL, from: value.MAIL_FROM },
    invoices: {
      issuerName: value.INVOICE_ISSUER_NAME,
      issuerAddress: value.INVOICE_ISSUER_ADDRESS,
      issuerTaxId: value.INVOICE_ISSUER_TAX_ID,
      numberPrefix: value.INVOICE_NUMBER_PREFIX,
      links: { secret: value.INVOICE_LINK_SECRET ?? derivedInvoiceLinkSecret(webhookSecret), expiryDays: value.INVOICE_LINK_EXPIRY_DAYS },
    },
    portal: {
      sessions: { secret: value.PORTAL_SESSION_SECRET ?? derivedPortalSessionSecret(webhookSecret), expiryMinutes: value.PORTAL_SESSION_EXPIRY_MINUTES },
    },
    bankTransfers: {
      payee: {
        bankName: value.BANK_TRANSFER_BANK_NAME,
        accountName: value.BANK_TRANSFER_ACCOUNT_NAME,
        accountNumber: value.BANK_TRANSFER_ACCOUNT_NUMBER,
      },
      deadlineBusinessDays: value.BANK_TRANSFER_DEADLINE_BUSINESS_DAYS,
    },
    orders: { expiryMinutes: value.ORDER_EXPIRY_MINUTES },
    refunds: {
      policy: {
        windowDays: value.REFUND_WINDOW_DAYS,
        autoApprovalHours: value.REFUND_AUTO_APPROVAL_HOURS,
        autoApprovalMaximumConsumedBasisPoints: value.REFUND_AUTO_APPROVAL_MAX_CONSUMED_PERCENT * 100,
      },
      payoutDeadlineMilliseconds: value.REFUND_PAYOUT_DEADLINE_DAYS * 86_400_000,
      payoutReminderMilliseconds: value.REFUND_PAYOUT_REMINDER_HOURS * 3_600_000,
      opsEmail: value.REFUND_OPS_EMAIL,
    },
    logLevel: value.LOG_LEVEL,
    webhooks: {
      allowedDestinations: value.WEBHOOK_ALLOWED_DESTINATIONS,
      attemptTimeout_ms: value.WEBHOOK_ATTEMPT_TIMEOUT_SECONDS * 1_000,
      firstRetryDelay_ms: value.WEBHOOK_FIRST_RETRY_SECONDS * 1_000,
      pollInterval_ms: value.WEBHOOK_POLL_INTERVAL_MILLISECONDS,
      opsEmail: value.WEBHOOK_OPS_EMAIL ?? value.REFUND_OPS_EMAIL ?? value.MAIL_FROM,
    },
    reconciliation: {
      interval_seconds: value.RECONCILIATION_INTERVAL_SECONDS,
      pendingAge_seconds: value.RECONCILIATION_PENDING_AGE_SECONDS,
      processingAge_seconds: value.RECONCILIATION_PROCESSING_AGE_SECONDS,
      daily: { hour: Number(value.RECONCILIATION_DAILY_TIME.slice(0, 2)), minute: Number(value.RECONCILIATION_DAILY_TIME.slice(3, 5)) },
    },
    http: {
      allowedRedirectHosts: value.ALLOWED_REDIRECT_HOSTS ?? [...new Set([new URL(publicBaseUrl).hostname, 'localhost'])],
      trustProxyHops: value.TRUST_PROXY_HOPS,
      timeouts: {
        headersMilliseconds: value.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
        requestMilliseconds: value.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
        keepAliveMilliseconds: value.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      },
      rateLimits: {
        windowMilliseconds: value.RATE_LIMIT_WINDOW_SECONDS * 1000,
        authenticationFailuresPerAddress: value.RATE_LIMIT_AUTH_FAILURES_PER_ADDRESS,
        accountCreationsPerAddress: value.RATE_LIMIT_ACCOUNT_CREATIONS_PER_ADDRESS,
        ordersPerKey: value.RATE_LIMIT_ORDERS_PER_KEY,
        quotesPerKey: value.RATE_LIMIT_QUOTES_PER_KEY,
        webhooksPerAddress: value.RATE_LIMIT_WEBHOOKS_PER_ADDRESS,
        pagesPerAddress: value.RATE_LIMIT_PAGES_PER_ADDRESS,
      },
    },
  };
}
