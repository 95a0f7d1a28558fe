// The Refill processes as `npm start`, the image and the benchmarks run them: each entry point bundled
// into plain JavaScript under dist/processes/ (dev/node-bundles.ts), run by `node` without tsx, so no
// TypeScript tooling is loaded into a running API, worker or paperwork process. A bundle is built from
// the same commit as the code beside it: `npm run build:processes` (the Dockerfile) builds them, and
// `npm start` rebuilds them when the digest of their sources, written beside them, no longer matches.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sourcesDigest, writeFileWhole } from './build-files.ts';
import { buildNodeBundles, nodeBundlePath } from './node-bundles.ts';
import { repositoryRoot } from './tools.ts';

/** Every process entry point a deployment runs. */
export const processEntryPoints = ['api/main.ts', 'worker/main.ts', 'worker/paperwork-main.ts', 'scripts/migrate.ts'];

/** Where npm run build:processes writes the bundles (git-ignored, like the workflow bundle). */
export const processBundlesDirectory = path.join(repositoryRoot, 'dist', 'processes');

/** Beside the bundles: the files they were built from and the digest of those files. */
function sourcesFile(directory: string): string {
  return path.join(directory, 'sources.json');
}

interface BundleSources {
  /** Repository-relative paths: what esbuild read, and what builds the bundles. */
  files: string[];
  sha256: string;
}

/** The build's own code and the locked package versions (esbuild's among them) change a bundle too. */
const buildFiles = ['dev/build-files.ts', 'dev/node-bundles.ts', 'dev/process-bundles.ts', 'package-lock.json'];

function digestOf(files: string[]): Promise<string> {
  return sourcesDigest([...files, ...buildFiles]);
}

/**
 * Whether every bundle exists and its sources are as they were built: a new import is a change to a file
 * that was read, so the recorded files are enough to find it.
 */
async function bundlesAreCurrent(directory: string): Promise<boolean> {
  if (!processEntryPoints.every((entryPoint) => existsSync(nodeBundlePath(directory, entryPoint)))) return false;
  const recorded = JSON.parse(await readFile(sourcesFile(directory), 'utf8').catch(() => '{"files":[],"sha256":""}')) as BundleSources;
  return recorded.files.length > 0 && recorded.sha256 === (await digestOf(recorded.files));
}

/**
 * Builds every process bundle into directory (npm run build:processes: dist/processes/); resolves with how
 * many files they were built from.
 */
export async function buildProcessBundles(directory = processBundlesDirectory): Promise<number> {
  const files = await buildNodeBundles(processEntryPoints, directory);
  const sources: BundleSources = { files, sha256: await digestOf(files) };
  // Two starts may build at once: each writes the list whole.
  await writeFileWhole(sourcesFile(directory), `${JSON.stringify(sources, null, 2)}\n`);
  return files.length;
}

/** Builds the bundles when they are missing or stale (a second or two of esbuild). */
export async function ensureProcessBundles(say: (line: string) => void = () => {}, directory = processBundlesDirectory): Promise<void> {
  if (await bundlesAreCurrent(directory)) return;
  const began = Date.now();
  const files = await buildProcessBundles(directory);
  say(`process bundles built (${path.relative(repositoryRoot, directory)}/, ${files} files, ${((Date.now() - began) / 1000).toFixed(1)} s)`);
}

/**
 * The `node` arguments that run an entry point from its bundle. Source maps make a logged stack name the
 * TypeScript file and line.
 */
export function processArguments(entryPoint: string): string[] {
  if (!processEntryPoints.includes(entryPoint)) throw new Error(`${entryPoint} is not a process entry point`);
  return ['--enable-source-maps', nodeBundlePath(processBundlesDirectory, entryPoint)];
}
