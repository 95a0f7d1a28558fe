// How `npm start` (and `npm run bench:pipeline`, which measures the worker as it starts there) launches
// the worker process and the paperwork process beside it: each from its process bundle (dist/processes/,
// dev/process-bundles.ts), with the prebuilt workflow bundle (dist/workflow-bundle.js); each is built first when it is
// missing or was built from other sources, so the worker process never runs webpack or tsx. Imports nothing of
// the Temporal SDK: the build runs in a process of its own.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sourcesDigest } from '../dev/build-files.ts';
import { repositoryRoot } from '../dev/tools.ts';
import { ensureProcessBundles, processArguments } from '../dev/process-bundles.ts';
import { startProcess } from '../dev/processes.ts';

export interface WorkerLaunch {
  command: string;
  args: string[];
  environment: NodeJS.ProcessEnv;
}

/** Where npm run build:workflows writes the bundle (git-ignored); worker/create-worker.ts names it too. */
export const workflowBundleFile = path.join(repositoryRoot, 'dist', 'workflow-bundle.js');

/** What the bundle is built from: the workflows, the domain modules they import, the locked dependencies. */
const bundleSourceDirectories = ['workflows', 'domain'];

/** Beside the bundle: the digest of the sources it was built from. */
export function sourcesDigestFile(bundleFile: string): string {
  return `${bundleFile}.sources-sha256`;
}

/** SHA-256 over every source file the bundle is built from (paths and contents), in a stable order. */
export async function workflowSourcesDigest(): Promise<string> {
  const files: string[] = ['package-lock.json', 'scripts/build-workflows.ts'];
  for (const directory of bundleSourceDirectories) {
    const entries = await readdir(path.join(repositoryRoot, directory), { recursive: true, withFileTypes: true });
    for (const entry of entries) if (entry.isFile()) files.push(path.relative(repositoryRoot, path.join(entry.parentPath, entry.name)));
  }
  return sourcesDigest(files);
}

/** Whether the bundle exists and was built from the sources as they are now. */
async function bundleIsCurrent(bundleFile: string): Promise<boolean> {
  if (!existsSync(bundleFile) || !existsSync(sourcesDigestFile(bundleFile))) return false;
  return (await readFile(sourcesDigestFile(bundleFile), 'utf8')).trim() === (await workflowSourcesDigest());
}

/** Builds the bundle (npm run build:workflows) when it is missing or stale; resolves with its path. */
export async function ensureWorkflowBundle(say: (line: string) => void = () => {}): Promise<string> {
  if (await bundleIsCurrent(workflowBundleFile)) return workflowBundleFile;
  say('building the workflow bundle (dist/workflow-bundle.js): it is missing or older than the workflows');
  const build = startProcess({ name: 'build', command: process.execPath, args: ['--import', 'tsx', 'scripts/build-workflows.ts'], cwd: repositoryRoot, onLine: say });
  const code = await build.exited;
  if (code !== 0) throw new Error(`npm run build:workflows failed (${code})`);
  return workflowBundleFile;
}

/** The worker processes of a pipeline: the worker, and the paperwork process unless it runs inside it. */
export interface WorkerLaunches {
  worker: WorkerLaunch;
  /** Null when the environment says WORKER_PAPERWORK=in-process. */
  paperwork: WorkerLaunch | null;
}

/**
 * The worker's launch for an environment (its own WORKFLOW_BUNDLE_PATH if set, else the prebuilt bundle)
 * and, unless the environment says WORKER_PAPERWORK=in-process, the paperwork process's beside it
 * (worker/paperwork-main.ts), so that PDFs and emails never take CPU time from a credit.
 */
export async function workerLaunch(environment: NodeJS.ProcessEnv, say?: (line: string) => void): Promise<WorkerLaunches> {
  const bundlePath = environment.WORKFLOW_BUNDLE_PATH || (await ensureWorkflowBundle(say));
  await ensureProcessBundles(say);
  const paperwork = environment.WORKER_PAPERWORK || 'separate';
  const worker = { command: process.execPath, args: processArguments('worker/main.ts'), environment: { ...environment, WORKFLOW_BUNDLE_PATH: bundlePath, WORKER_PAPERWORK: paperwork } };
  if (paperwork === 'in-process') return { worker, paperwork: null };
  return { worker, paperwork: { command: process.execPath, args: processArguments('worker/paperwork-main.ts'), environment: { ...environment, WORKER_PAPERWORK: paperwork } } };
}
