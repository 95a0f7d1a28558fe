// Where the binaries installed by scripts/bootstrap.sh are found.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
export const dataDirectory = path.join(repositoryRoot, '.data');

/** Must match scripts/bootstrap.sh. */
const temporalCliVersion = '1.9.1';
const temporalTestServerVersion = '1.40.0';
const stripeMockVersion = '0.203.0';
const schemathesisVersion = '4.32.5';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, searchPath: string | undefined): string | undefined {
  for (const folder of (searchPath ?? '').split(path.delimiter)) {
    if (folder !== '' && isExecutable(path.join(folder, name))) return path.join(folder, name);
  }
  return undefined;
}

/** TEMPORAL_CLI_PATH, else `temporal` on PATH, else the pinned copy bootstrap installed. */
export function temporalCliPath(environment: NodeJS.ProcessEnv): string {
  const candidates = [
    environment.TEMPORAL_CLI_PATH,
    findOnPath('temporal', environment.PATH),
    path.join(dataDirectory, 'tools', `temporal-${temporalCliVersion}`, 'temporal'),
  ];
  const found = candidates.find((candidate) => candidate !== undefined && candidate !== '' && isExecutable(candidate));
  if (found === undefined) throw new Error('the Temporal CLI is not installed: run `sh scripts/bootstrap.sh`');
  return found;
}

/** TEMPORAL_TEST_SERVER_PATH, else the pinned copy bootstrap installed (for time-skipping tests). */
export function temporalTestServerPath(environment: NodeJS.ProcessEnv): string {
  const candidate =
    environment.TEMPORAL_TEST_SERVER_PATH ??
    path.join(dataDirectory, 'tools', `temporal-test-server-${temporalTestServerVersion}`, 'temporal-test-server');
  if (!isExecutable(candidate)) throw new Error('the Temporal test server is not installed: run `sh scripts/bootstrap.sh --test`');
  return candidate;
}

/** STRIPE_MOCK_PATH, else the pinned copy bootstrap built (Stripe's official API mock, for tests). */
export function stripeMockPath(environment: NodeJS.ProcessEnv): string {
  const candidate =
    environment.STRIPE_MOCK_PATH ?? path.join(dataDirectory, 'tools', `stripe-mock-${stripeMockVersion}`, 'stripe-mock');
  if (!isExecutable(candidate)) throw new Error('stripe-mock is not installed: run `sh scripts/bootstrap.sh --test`');
  return candidate;
}

/** SCHEMATHESIS_PATH, else the `st` of the pinned virtualenv bootstrap made (the OpenAPI fuzzer, for tests). */
export function schemathesisPath(environment: NodeJS.ProcessEnv): string {
  const candidate = environment.SCHEMATHESIS_PATH ?? path.join(dataDirectory, 'tools', `schemathesis-${schemathesisVersion}`, 'bin', 'st');
  if (!isExecutable(candidate)) throw new Error('schemathesis is not installed: run `sh scripts/bootstrap.sh --test`');
  return candidate;
}
