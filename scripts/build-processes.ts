// `npm run build:processes`: bundles the process entry points (the API, the worker, the paperwork process,
// the migration) into dist/processes/, so they run as plain JavaScript without tsx (dev/process-bundles.ts).
import { performance } from 'node:perf_hooks';
import { buildProcessBundles, processBundlesDirectory } from '../dev/process-bundles.ts';

const started = performance.now();
const files = await buildProcessBundles();
console.log(`process bundles: ${processBundlesDirectory} (${files} source files, ${Math.round(performance.now() - started)} ms)`);
