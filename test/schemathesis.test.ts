// Schemathesis (the OpenAPI fuzzer, pinned in scripts/bootstrap.sh) over every operation of GET
// /openapi.json, against a started pipeline (API, worker, database, Temporal): /v1 with a customer's key,
// /admin with an operator's token, the rest as anyone. Passes when no answer is a 5xx and every answer
// conforms to the contract: a declared status, content type, headers and body schema. The examples per
// operation are bounded so that the run fits the suite's time.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { dataDirectory, schemathesisPath } from '../dev/tools.ts';
import { createTestAccount, testAdminToken } from './support/api.ts';
import { rateLimitsOff, startTestPipeline, type TestPipeline } from './support/pipeline.ts';

/** Generated cases per operation and phase: about 60 operations, a few hundred requests in all. */
const examplesPerOperation = 6;
const runTimeoutMilliseconds = 150_000;

const checks = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance'];

let pipeline: TestPipeline;

before(async () => {
  // As in the property fuzzer: the sandbox pages mounted, and no rate limit between one client and its checks.
  pipeline = await startTestPipeline({
    sandbox: true,
    environment: rateLimitsOff,
  });
});
after(async () => {
  await pipeline.close();
});

interface Run {
  exitCode: number | null;
  output: string;
}

/** One schemathesis run over the operations whose path matches, with the given Authorization. */
function schemathesis(pathPattern: string, token: string | null): Promise<Run> {
  const args = [
    'run', `${pipeline.api.baseUrl}/openapi.json`,
    '--include-path-regex', pathPattern,
    '--checks', checks.join(','),
    '--phases', 'examples,fuzzing',
    '--max-examples', String(examplesPerOperation),
    '--mode', 'all',
    // One worker thread: Hypothesis raises and restores the process-wide recursion limit around each
    // test case, and a second thread doing so while the first is inside ast.parse (describing a
    // recursive strategy) makes CPython 3.11 fail with "AST constructor recursion depth mismatch".
    '--workers', '1',
    '--seed', '16',
    '--generation-database', 'none',
    '--request-timeout', '20',
    '--no-shrink',
    '--no-color',
    '--warnings', 'off',
    ...(token === null ? [] : ['--header', `Authorization: Bearer ${token}`]),
  ];
  return new Promise((resolve, reject) => {
    // Schemathesis keeps files in its working directory: under .data/ (git-ignored), never in the checkout.
    const workingDirectory = path.join(dataDirectory, 'schemathesis');
    mkdirSync(workingDirectory, { recursive: true });
    const child = spawn(schemathesisPath(process.env), args, {
      cwd: workingDirectory,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), runTimeoutMilliseconds);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, output });
    });
  });
}

/** The summary lines a failing run prints, so the failure says which operation and which check. */
function failureReport(run: Run): string {
  return run.output.split('\n').slice(-80).join('\n');
}

test('schemathesis over every operation: no 5xx, and every answer conforms to the contract', { timeout: 420_000 }, async () => {
  const { apiKey } = await createTestAccount(pipeline.api, 'USD', 'schemathesis@example.com');
  const runs: [string, string, string | null][] = [
    ['customer routes', '^/v1/', apiKey],
    ['ops routes', '^/admin/', testAdminToken],
    ['public routes', '^/(?!v1/|admin/)', null],
  ];
  let operationsTested = 0;
  let operationsInContract = 0;
  for (const [name, pattern, token] of runs) {
    const startedMilliseconds = Date.now();
    const run = await schemathesis(pattern, token);
    const selected = /Selected:\s*(\d+)\/(\d+)/.exec(run.output);
    const tested = /Tested:\s*(\d+)/.exec(run.output);
    const cases = /(\d+) generated/.exec(run.output);
    console.log(`schemathesis, ${name}: exit ${run.exitCode}, ${tested?.[1] ?? '?'} operations, ${cases?.[1] ?? '?'} cases, ${((Date.now() - startedMilliseconds) / 1000).toFixed(1)} s`);
    assert.equal(run.exitCode, 0, `schemathesis found failures in the ${name}:\n${failureReport(run)}`);
    assert.ok(selected !== null && tested !== null, `no summary from schemathesis:\n${failureReport(run)}`);
    assert.equal(tested[1], selected[1], `${name}: every selected operation was tested`);
    operationsTested += Number(tested[1]);
    operationsInContract = Number(selected[2]);
  }
  assert.equal(operationsTested, operationsInContract, 'the three runs together cover every operation of the contract');
});
