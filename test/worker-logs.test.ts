// Every log line in one stream (STYLE.md 19): workflow code's `log`, activities' `log` and the SDK's own
// lines reach the process's pino logger as JSON, with the workflow's ids and, for an order's workflow,
// the order id. A real worker on the Temporal dev server; the log lines are captured from pino's destination.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { log as activityLog } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { repositoryRoot, temporalTestServerPath } from '../dev/tools.ts';
import { orderWorkflowId } from '../domain/orders.ts';
import { randomToken } from '../ids/ids.ts';
import { createLogger } from '../observability/logger.ts';
import { orderIdFromWorkflowId, temporalLogFields } from '../observability/temporal-log-fields.ts';
import { installTemporalRuntime } from '../worker/temporal-runtime.ts';
import { testTemporalAddress } from './support/environment.ts';
import { eventually } from './support/eventually.ts';
import { workflowBundle } from './support/pipeline.ts';
import type { LoggingActivities } from './support/logging-workflow.ts';

type LogLine = Record<string, unknown>;

/** The raw lines pino wrote; the runtime is installed before any connection exists, as the worker process does. */
const written: string[] = [];
const logger = createLogger('refill-worker-logs-test', 'trace', { write: (line: string) => void written.push(line) });
installTemporalRuntime(logger);

const namespace = 'default';
const lineDeadlineMilliseconds = 10_000;
const loggingWorkflowsPath = fileURLToPath(new URL('./support/logging-workflow.ts', import.meta.url));

function parsedLines(): LogLine[] {
  return written.map((line) => JSON.parse(line) as LogLine);
}

/**
 * The first captured line (from the `from`-th on) that `matches`, waiting for the SDK's buffer (about
 * 100 ms) to hand it over.
 */
async function lineWhere(description: string, matches: (line: LogLine) => boolean, from = 0): Promise<LogLine> {
  return eventually(
    () => {
      const found = parsedLines().slice(from).find(matches);
      if (found !== undefined) return found;
      throw new Error(`last lines:\n${written.slice(-10).join('')}`);
    },
    { description: `a log line ${description}`, timeoutMilliseconds: lineDeadlineMilliseconds, intervalMilliseconds: 25 },
  );
}

const loggingActivities: LoggingActivities = {
  async logFromActivity(text) {
    activityLog.info(`${text} from activity`, { step: 'activity' });
  },
};

describe('worker logs', () => {
  const taskQueue = `refill-worker-logs-${randomToken(8)}`;
  let workerConnection: NativeConnection;
  let worker: Worker;
  let workerRunning: Promise<void>;
  let clientConnection: Connection;
  let client: Client;

  before(async () => {
    workerConnection = await NativeConnection.connect({ address: testTemporalAddress() });
    worker = await Worker.create({
      connection: workerConnection,
      namespace,
      taskQueue,
      workflowBundle: await workflowBundle(loggingWorkflowsPath),
      activities: loggingActivities,
    });
    workerRunning = worker.run();
    clientConnection = await Connection.connect({ address: testTemporalAddress() });
    client = new Client({ connection: clientConnection, namespace });
  });

  after(async () => {
    worker.shutdown();
    await workerRunning;
    await workerConnection.close();
    await clientConnection.close();
  });

  /** Runs the logging workflow under `workflowId` and returns its run id and the text its lines carry. */
  async function runLoggingWorkflow(workflowId: string): Promise<{ runId: string; text: string }> {
    const text = `hello ${randomToken(8)}`;
    const handle = await client.workflow.start('loggingWorkflow', { workflowId, taskQueue, args: [text] });
    await handle.result();
    return { runId: handle.firstExecutionRunId, text };
  }

  test("an order workflow's log line is a JSON line with the workflow's ids and the order id", async () => {
    const orderId = `ord_${randomToken()}`;
    const workflowId = orderWorkflowId(orderId);
    const { runId, text } = await runLoggingWorkflow(workflowId);
    const line = await lineWhere(`"${text} at info"`, (candidate) => candidate.msg === `${text} at info`);
    assert.equal(line.level, 30);
    assert.equal(line.service, 'refill-worker-logs-test');
    assert.equal(line.sdkComponent, 'workflow');
    assert.equal(line.workflowId, workflowId);
    assert.equal(line.runId, runId);
    assert.equal(line.workflowType, 'loggingWorkflow');
    assert.equal(line.taskQueue, taskQueue);
    assert.equal(line.namespace, namespace);
    assert.equal(line.orderId, orderId);
    assert.equal(line.step, 'info');
    assert.match(String(line.emittedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test("the pino redaction covers the SDK's lines: an apiKey field is censored", async () => {
    const { text } = await runLoggingWorkflow(orderWorkflowId(`ord_${randomToken()}`));
    const line = await lineWhere(`"${text} at info"`, (candidate) => candidate.msg === `${text} at info`);
    assert.equal(line.apiKey, '[redacted]');
    assert.ok(!written.some((raw) => raw.includes('rfk_must_not_appear')), 'the key appears in no line');
  });

  test('each workflow log level arrives at the pino level of the same name', async () => {
    const { text } = await runLoggingWorkflow(orderWorkflowId(`ord_${randomToken()}`));
    const pinoLevels = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };
    for (const [name, number] of Object.entries(pinoLevels)) {
      const line = await lineWhere(`"${text} at ${name}"`, (candidate) => candidate.msg === `${text} at ${name}`);
      assert.equal(line.level, number, `${name} is pino level ${number}`);
    }
  });

  test("an activity's log line carries the activity type, the workflow's id and the order id", async () => {
    const orderId = `ord_${randomToken()}`;
    const { text } = await runLoggingWorkflow(orderWorkflowId(orderId));
    const line = await lineWhere(`"${text} from activity"`, (candidate) => candidate.msg === `${text} from activity`);
    assert.equal(line.sdkComponent, 'activity');
    assert.equal(line.activityType, 'logFromActivity');
    assert.equal(line.workflowId, orderWorkflowId(orderId));
    assert.equal(line.workflowType, 'loggingWorkflow');
    assert.equal(line.taskQueue, taskQueue);
    assert.equal(line.namespace, namespace);
    assert.equal(line.orderId, orderId);
  });

  test("a workflow that is not an order's gets no orderId field", async () => {
    const workflowId = `logging-test-${randomToken(8)}`;
    const { text } = await runLoggingWorkflow(workflowId);
    const line = await lineWhere(`"${text} at info"`, (candidate) => candidate.msg === `${text} at info`);
    assert.equal(line.workflowId, workflowId);
    assert.ok(!('orderId' in line), `no orderId in ${JSON.stringify(line)}`);
  });

  test("the worker's own SDK lines are JSON lines with its task queue", async () => {
    const line = await lineWhere(`from the worker on ${taskQueue}`, (candidate) => candidate.sdkComponent === 'worker' && candidate.taskQueue === taskQueue);
    assert.equal(typeof line.msg, 'string');
    // Every line the stream received is JSON: nothing of the SDK is written as plain text.
    assert.doesNotThrow(() => parsedLines());
  });

  test('installing the runtime again does nothing: the first logger keeps every line', async () => {
    const other: string[] = [];
    installTemporalRuntime(createLogger('refill-other-logger', 'trace', { write: (line: string) => void other.push(line) }));
    const { text } = await runLoggingWorkflow(orderWorkflowId(`ord_${randomToken()}`));
    await lineWhere(`"${text} at info"`, (candidate) => candidate.msg === `${text} at info`);
    assert.deepEqual(other, []);
  });
});

describe("Core's lines", () => {
  test('arrive as JSON lines from WARN up, with their Rust target', async () => {
    // Core says little at WARN on a healthy server. Temporal's time-skipping test server (the pinned
    // version, see scripts/bootstrap.sh) does not advertise a capability Core asks for, and Core warns
    // about it when a worker starts: a real Core warning on demand.
    const firstLine = written.length;
    const environment = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: temporalTestServerPath(process.env) } },
    });
    try {
      const coreTaskQueue = `refill-worker-logs-core-${randomToken(8)}`;
      const coreWorker = await Worker.create({
        connection: environment.nativeConnection,
        taskQueue: coreTaskQueue,
        workflowBundle: await workflowBundle(loggingWorkflowsPath),
        activities: loggingActivities,
      });
      const workflowId = `logging-core-${randomToken(8)}`;
      await coreWorker.runUntil(environment.client.workflow.execute('loggingWorkflow', { workflowId, taskQueue: coreTaskQueue, args: ['core'] }));
    } finally {
      await environment.teardown();
    }
    const line = await lineWhere('from Core', (candidate) => candidate.sdkComponent === 'core', firstLine);
    assert.equal(line.level, 40);
    assert.match(String(line.target), /^temporalio_/);
    assert.equal(typeof line.msg, 'string');
    const belowWarn = parsedLines().filter((candidate) => candidate.sdkComponent === 'core' && Number(candidate.level) < 40);
    assert.deepEqual(belowWarn, [], 'Core forwards nothing below WARN');
  });
});

describe('installing the runtime after something else created it', () => {
  test('warns in the JSON stream instead of throwing', async () => {
    // Its own process: this file's runtime is already installed, and there is one per process.
    const script = [
      "const { Runtime } = await import('@temporalio/worker');",
      `const { installTemporalRuntime } = await import(${JSON.stringify(`${repositoryRoot}/worker/temporal-runtime.ts`)});`,
      `const { createLogger } = await import(${JSON.stringify(`${repositoryRoot}/observability/logger.ts`)});`,
      'Runtime.instance();',
      "installTemporalRuntime(createLogger('refill-late-install', 'info'));",
    ].join('\n');
    const { code, stdout } = await runNode(['--import', 'tsx', '--input-type=module', '-e', script]);
    assert.equal(code, 0, stdout);
    const line = JSON.parse(stdout.trim().split('\n').at(-1)!) as LogLine;
    assert.equal(line.level, 40);
    assert.equal(line.service, 'refill-late-install');
    assert.match(String(line.msg), /Temporal runtime existed before its logger was installed/);
  });
});

describe('temporal log fields', () => {
  test('the order id is read back from the id orderWorkflowId builds, and only from that', () => {
    assert.equal(orderIdFromWorkflowId(orderWorkflowId('ord_abc')), 'ord_abc');
    assert.equal(orderIdFromWorkflowId('topup-'), null);
    assert.equal(orderIdFromWorkflowId('invoice-step-ord_abc'), null);
  });

  test('bigints become exact strings, errors keep their message, symbol keys and undefined values are left out', () => {
    const fields = temporalLogFields({
      [Symbol.for('log_timestamp')]: 1n,
      workflowId: 'topup-ord_abc',
      amountMicros: 9_007_199_254_740_993n,
      error: new Error('provider unreachable'),
      missing: undefined,
    });
    assert.equal(fields.amountMicros, '9007199254740993');
    assert.equal((fields.error as { message: string }).message, 'provider unreachable');
    assert.equal((fields.error as { type: string }).type, 'Error');
    assert.equal(fields.orderId, 'ord_abc');
    assert.deepEqual(Object.keys(fields).sort(), ['amountMicros', 'error', 'orderId', 'workflowId']);
  });
});

function runNode(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}
