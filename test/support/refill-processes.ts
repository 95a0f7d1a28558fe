// The worker and API as real processes (worker/main.ts, api/main.ts: their bundles, or through tsx), for tests of
// what happens to a process itself: that it stays up when a dependency dies, or waits for one at start.
import { startProcess, type ManagedProcess } from '../../dev/processes.ts';
import { repositoryRoot } from '../../dev/tools.ts';
import { nodeArgumentsFor, testWorkflowBundlePath } from './environment.ts';
import { eventually } from './eventually.ts';

export interface RefillProcess {
  process: ManagedProcess;
  /** Every line the process wrote, stdout and stderr. */
  lines: string[];
  /** The exit code or signal, or null while it runs. */
  exitStatus(): number | string | null;
  waitForLine(pattern: RegExp, timeoutMilliseconds?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The worker loads the bundle scripts/test.ts built for the run (as `npm start`'s worker loads its
 * prebuilt one) rather than spending seconds of webpack at each start; a test's own WORKFLOW_BUNDLE_PATH wins.
 */
function prebuiltBundle(entry: string): Record<string, string> {
  const bundle = testWorkflowBundlePath();
  return entry === 'worker/main.ts' && bundle !== undefined ? { WORKFLOW_BUNDLE_PATH: bundle } : {};
}

export function startRefillProcess(entry: 'worker/main.ts' | 'worker/paperwork-main.ts' | 'api/main.ts', environment: NodeJS.ProcessEnv): RefillProcess {
  const lines: string[] = [];
  const managed = startProcess({
    name: entry,
    command: process.execPath,
    args: nodeArgumentsFor(entry),
    environment: { PATH: process.env.PATH, HOME: process.env.HOME, ...prebuiltBundle(entry), ...environment },
    cwd: repositoryRoot,
    onLine: (line) => {
      lines.push(line);
      if (process.env.REFILL_TEST_LOG_LEVEL !== undefined) process.stdout.write(`[${entry}] ${line}\n`);
    },
  });
  let status: number | string | null = null;
  void managed.exited.then((exit) => (status = exit));
  return {
    process: managed,
    lines,
    exitStatus: () => status,
    waitForLine: (pattern, timeoutMilliseconds = 60_000) =>
      eventually(
        () => {
          const found = lines.find((line) => pattern.test(line));
          if (found === undefined && status !== null) throw new Error(`${entry} exited (${status}): ${lines.slice(-5).join(' | ')}`);
          return found;
        },
        { description: `${entry} to print ${pattern}`, timeoutMilliseconds, intervalMilliseconds: 100 },
      ),
    stop: () => managed.stop(),
  };
}
