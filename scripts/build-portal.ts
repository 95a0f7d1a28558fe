// `npm run build:portal`: bundles the billing portal's front end (portal/src/main.tsx, Preact, and the
// CSS it imports) with esbuild into dist/portal/portal.js and portal.css, which the API serves at
// /portal/assets (api/routes/portal.ts). `npm start`, `npm test` and the Dockerfile run it before
// anything starts, so the portal served is always built from the sources beside it. No network: every
// import is resolved from node_modules.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { portalBundleDirectory } from '../api/portal-bundle.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

/** Builds the portal into dist/portal (or `outputDirectory`) and returns the bundle's size in bytes. */
export async function buildPortal(outputDirectory = portalBundleDirectory): Promise<number> {
  await mkdir(outputDirectory, { recursive: true });
  const result = await build({
    absWorkingDir: repositoryRoot,
    entryPoints: { portal: 'portal/src/main.tsx' },
    outdir: outputDirectory,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  return Object.values(result.metafile.outputs).reduce((total, output) => total + output.bytes, 0);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const bytes = await buildPortal();
  console.log(`portal bundle: ${path.relative(process.cwd(), portalBundleDirectory)} (${Math.round(bytes / 1024)} KiB, ${Math.round(performance.now() - started)} ms)`);
}
