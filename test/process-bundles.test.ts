// The process bundles (dev/process-bundles.ts) that `npm start`, the image and the benchmarks run: built
// when missing or stale and not otherwise, plain JavaScript that loads no TypeScript tooling, and run by
// `node` alone. Built into a folder of this test's own under .data/, never dist/ (a running `npm start`'s).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { nodeBundlePath } from '../dev/node-bundles.ts';
import { ensureProcessBundles, processEntryPoints } from '../dev/process-bundles.ts';
import { dataDirectory, repositoryRoot } from '../dev/tools.ts';
import { createEmptyTestDatabase } from './support/database.ts';

let directory: string;

before(async () => {
  await mkdir(dataDirectory, { recursive: true });
  directory = await mkdtemp(path.join(dataDirectory, 'process-bundles-test-'));
});
after(() => rm(directory, { recursive: true, force: true }));

async function ensure(): Promise<string[]> {
  const said: string[] = [];
  await ensureProcessBundles((line) => said.push(line), directory);
  return said;
}

test('the first start builds every entry point, and the next finds them current and builds nothing', async () => {
  const first = await ensure();
  assert.equal(first.length, 1);
  assert.match(first[0]!, /^process bundles built \(\.data\/process-bundles-test-\w+\/, \d+ files, \d+\.\d s\)$/);
  for (const entryPoint of processEntryPoints) {
    const bundle = await readFile(nodeBundlePath(directory, entryPoint), 'utf8');
    // The project's modules are in the bundle; what stays an import is a package or Node's own.
    const imports = [...bundle.matchAll(/^import .* from "([^"]+)";$/gm)].map((match) => match[1]!);
    assert.ok(imports.length > 0, `${entryPoint} imports no package`);
    for (const specifier of imports) assert.ok(!specifier.startsWith('.') && !specifier.startsWith('/'), `${entryPoint} imports a file: ${specifier}`);
    assert.ok(!imports.some((specifier) => /^(tsx|esbuild|typescript)(\/|$)/.test(specifier)), `${entryPoint} loads TypeScript tooling`);
  }
  assert.deepEqual(await ensure(), []);
});

test('a changed source, or a missing bundle, is built again', async () => {
  await ensure();
  // A source file recorded with the bundles, then edited: as a module of the project would be.
  const sourcesFile = path.join(directory, 'sources.json');
  const recorded = JSON.parse(await readFile(sourcesFile, 'utf8')) as { files: string[]; sha256: string };
  assert.ok(recorded.files.includes('api/main.ts') && recorded.files.includes('db/migrate.ts'), 'the sources list the modules read');
  const edited = path.join(directory, 'edited-source.ts');
  await writeFile(edited, 'export const value = 1;\n');
  const relative = path.relative(repositoryRoot, edited);
  await writeFile(sourcesFile, JSON.stringify({ files: [...recorded.files, relative], sha256: recorded.sha256 }));
  assert.equal((await ensure()).length, 1, 'sources recorded with another digest are rebuilt');
  assert.deepEqual(await ensure(), []);

  await rm(nodeBundlePath(directory, 'worker/paperwork-main.ts'));
  assert.equal((await ensure()).length, 1, 'a missing bundle is rebuilt');
});

test('a bundle runs under plain node, finding what lies beside its sources', async () => {
  await ensure();
  // The migration bundle applies db/migrations, which db/migrate.ts finds beside itself, to an empty database.
  const database = await createEmptyTestDatabase(1);
  try {
    const migrated = spawnSync(process.execPath, [nodeBundlePath(directory, 'scripts/migrate.ts')], {
      cwd: repositoryRoot,
      env: { PATH: process.env.PATH, DATABASE_URL: database.url },
      encoding: 'utf8',
    });
    assert.equal(migrated.status, 0, migrated.stderr);
    const migrations = (await readdir(path.join(repositoryRoot, 'db', 'migrations'))).filter((name) => name.endsWith('.sql')).sort();
    assert.equal(migrated.stdout, `applied ${migrations.join(', ')}\n`);
  } finally {
    await database.close();
  }
});
