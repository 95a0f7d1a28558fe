// What scripts/test.ts hands to every test file: the throwaway servers' addresses, the workflow
// bundle it built and the migrated database test databases are copied from.
import { processArguments, processEntryPoints } from '../../dev/process-bundles.ts';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the tests with \`npm test\` (or \`npm test -- <file filter>\`)`);
  }
  return value;
}

export function testDatabaseUrl(): string {
  return required('REFILL_TEST_DATABASE_URL');
}

export function testTemporalAddress(): string {
  return required('REFILL_TEST_TEMPORAL_ADDRESS');
}

export function testStripeApiBase(): string {
  return required('REFILL_TEST_STRIPE_API_BASE');
}

/**
 * The order workflows' bundle for this run (dist/workflow-bundle.js, which scripts/test.ts builds first when it
 * is missing or stale, as `npm start` does), or undefined when a file runs without it; then the file bundles them itself.
 */
export function testWorkflowBundlePath(): string | undefined {
  const codePath = process.env.REFILL_TEST_WORKFLOW_BUNDLE_PATH;
  return codePath === undefined || codePath === '' ? undefined : codePath;
}

/**
 * The database scripts/test.ts migrated once for the run, which test databases are copied from
 * (test/support/database.ts), or undefined when a file runs without it.
 */
export function testTemplateDatabase(): string | undefined {
  const name = process.env.REFILL_TEST_TEMPLATE_DATABASE;
  return name === undefined || name === '' ? undefined : name;
}

/**
 * The arguments that make Node run one of the repository's process entry points: under `npm test`, its
 * bundle in dist/processes/ (which scripts/test.ts builds first when missing or stale, as `npm start` does),
 * so tests run the processes as they run everywhere; otherwise the source through tsx.
 */
export function nodeArgumentsFor(entryPoint: string): string[] {
  const underTestRunner = process.env.REFILL_TEST_NODE_BUNDLES !== undefined && process.env.REFILL_TEST_NODE_BUNDLES !== '';
  return underTestRunner && processEntryPoints.includes(entryPoint) ? processArguments(entryPoint) : ['--import', 'tsx', entryPoint];
}
