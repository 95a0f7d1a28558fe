// What scripts/test.ts hands to every test file: the throwaway servers' addresses, the workflow
// bundle it built and the migrated database test databases are copied from.
import { nodeBundlePath } from '../../dev/node-bundles.ts';
import { processEntryPoints } from '../../dev/process-bundles.ts';

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
 * The order workflows' bundle scripts/test.ts built for this run (its code and source map), or
 * undefined when a file runs without it; then the file bundles them itself.
 */
export function testWorkflowBundlePaths(): { codePath: string; sourceMapPath: string } | undefined {
  const codePath = process.env.REFILL_TEST_WORKFLOW_BUNDLE_PATH;
  if (codePath === undefined || codePath === '') return undefined;
  return { codePath, sourceMapPath: `${codePath}.map` };
}

/**
 * The database scripts/test.ts migrated once for the run, which test databases are copied from
 * (test/support/database.ts), or undefined when a file runs without it.
 */
export function testTemplateDatabase(): string | undefined {
  const name = process.env.REFILL_TEST_TEMPLATE_DATABASE;
  return name === undefined || name === '' ? undefined : name;
}

/** The process entry points scripts/test.ts bundles for the run (dev/node-bundles.ts), besides the test files. */
export const bundledEntryPoints = processEntryPoints;

/**
 * The arguments that make Node run one of the repository's entry points: its bundle scripts/test.ts built
 * for the run, which loads in about a third of the CPU time, or else the source through tsx.
 */
export function nodeArgumentsFor(entryPoint: string): string[] {
  const bundles = process.env.REFILL_TEST_NODE_BUNDLES;
  if (bundles === undefined || bundles === '' || !bundledEntryPoints.includes(entryPoint)) return ['--import', 'tsx', entryPoint];
  return [nodeBundlePath(bundles, entryPoint)];
}
