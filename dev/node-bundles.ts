// Bundles TypeScript entry points into plain JavaScript that Node runs without a loader (no tsx hooks):
// the project's own files are compiled into one file per entry point, the packages under node_modules
// stay imports that Node resolves itself. Loading a bundle costs under 40% of the CPU time of loading the same
// module graph through tsx, whose hooks see every import (api/app.ts: 1.5 s against 3.9 s of CPU).
import path from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { writeFileWhole } from './build-files.ts';
import { repositoryRoot } from './tools.ts';

// A pattern, not the words as a string: this file is bundled too (by the tests), and would rewrite them.
const importMetaLocation = /\bimport\.meta\.(url|dirname|filename)\b/g;

/**
 * Each module keeps its own location: `import.meta.url`, `import.meta.dirname` and `import.meta.filename` are
 * replaced by the source file's, so paths a module finds next to itself (migrations, fonts, pricing,
 * the portal's assets) are the same as when it runs from source.
 */
const ownLocation: Plugin = {
  name: 'own-location',
  setup(builder) {
    builder.onLoad({ filter: /\.(ts|tsx)$/ }, async (arguments_) => {
      if (arguments_.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(arguments_.path, 'utf8');
      const location = { url: pathToFileURL(arguments_.path).href, dirname: path.dirname(arguments_.path), filename: arguments_.path };
      const contents = source.replace(importMetaLocation, (_match, name: keyof typeof location) => JSON.stringify(location[name]));
      return { contents, loader: arguments_.path.endsWith('.tsx') ? 'tsx' : 'ts', resolveDir: path.dirname(arguments_.path) };
    });
  },
};

/** Where buildNodeBundles puts an entry point's bundle: `test/ledger.test.ts` is `<outputDirectory>/test/ledger.test.mjs`. */
export function nodeBundlePath(outputDirectory: string, entryPoint: string): string {
  return path.join(outputDirectory, entryPoint.replace(/\.tsx?$/, '.mjs'));
}

/**
 * Bundles the entry points (paths relative to the repository) into outputDirectory, keeping their folders
 * (nodeBundlePath), each with a linked source map; resolves with the repository's files they were built
 * from (relative paths). Each file is written whole under another name first and then renamed, so a
 * process starting meanwhile never loads half a bundle. esbuild is loaded only here, so a process that
 * only looks up a bundle's path never loads it.
 */
export async function buildNodeBundles(entryPoints: string[], outputDirectory: string): Promise<string[]> {
  const { build } = await import('esbuild');
  const result = await build({
    absWorkingDir: repositoryRoot,
    entryPoints: entryPoints.map((entryPoint) => path.join(repositoryRoot, entryPoint)),
    outdir: outputDirectory,
    outbase: repositoryRoot,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    // A stack needs the mappings only: without the sources' text, a map is a fifth the size to parse at load.
    sourcesContent: false,
    plugins: [ownLocation],
    logLevel: 'warning',
    metafile: true,
    write: false,
  });
  for (const output of result.outputFiles) {
    await mkdir(path.dirname(output.path), { recursive: true });
    await writeFileWhole(output.path, output.contents);
  }
  return Object.keys(result.metafile.inputs).sort();
}
