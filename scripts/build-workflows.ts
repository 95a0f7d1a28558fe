// `npm run build:workflows`: bundles the workflows once, ahead of time, into dist/workflow-bundle.js, so
// that a production worker (WORKFLOW_BUNDLE_PATH) starts polling without seconds of webpack at every
// start. The bundle is built from the same commit as the code it runs with (the Dockerfile builds it in
// the image); a bundle from other code would replay other workflow code.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleWorkflowCode } from '@temporalio/worker';
import { defaultWorkflowBundlePath, workflowsPath } from '../worker/create-worker.ts';


const target = process.argv[2] === undefined ? defaultWorkflowBundlePath : path.resolve(process.argv[2]);
const started = performance.now();
const bundle = await bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } as never });
await mkdir(path.dirname(target), { recursive: true });
// Written whole under another name first, so a worker never loads half a bundle.
await writeFile(`${target}.partial`, bundle.code);
await rename(`${target}.partial`, target);
console.log(`workflow bundle: ${path.relative(process.cwd(), target)} (${Math.round(bundle.code.length / 1024)} KiB, ${Math.round(performance.now() - started)} ms)`);
