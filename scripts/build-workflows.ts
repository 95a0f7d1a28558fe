// `npm run build:workflows`: bundles the workflows once, ahead of time, into dist/workflow-bundle.js, so
// that a worker (WORKFLOW_BUNDLE_PATH; `npm start` sets it) starts polling without seconds of webpack at
// every start, and never loads webpack's working set into its memory. The bundle is built from the same
// commit as the code it runs with (the Dockerfile builds it in the image; `npm start` rebuilds it when
// the digest of its sources, written beside it, no longer matches); a bundle from other code would
// replay other workflow code.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileWhole } from '../dev/build-files.ts';
import { defaultWorkflowBundlePath, workflowsPath } from '../worker/create-worker.ts';
import { sourcesDigestFile, workflowSourcesDigest } from '../worker/launch.ts';

const target = process.argv[2] === undefined ? defaultWorkflowBundlePath : path.resolve(process.argv[2]);
const started = performance.now();
// Taken before bundling: a source edited meanwhile makes the bundle stale, not falsely current.
const digest = await workflowSourcesDigest();
const bundle = await bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } as never });
await mkdir(path.dirname(target), { recursive: true });
// Written whole (two builds may run at once), so a worker never loads half a bundle.
await writeFileWhole(target, bundle.code);
await writeFileWhole(sourcesDigestFile(target), `${digest}\n`);
console.log(`workflow bundle: ${path.relative(process.cwd(), target)} (${Math.round(bundle.code.length / 1024)} KiB, ${Math.round(performance.now() - started)} ms)`);
