// What the build steps (the workflow bundle, the process bundles) share: a file written whole, so a
// process starting meanwhile never reads half of it, and the digest of the sources a build was made from.
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repositoryRoot } from './tools.ts';

/**
 * Writes the file under a name of this process's own, then renames it into place: two builds at once
 * each write their own, and a reader sees the old file or the new one, never part of one.
 */
export async function writeFileWhole(file: string, contents: string | Uint8Array): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, contents);
  await rename(partial, file);
}

/**
 * SHA-256 over the files (paths relative to the repository, and contents), each once, in a stable
 * order; a file that does not exist counts as the word "missing".
 */
export async function sourcesDigest(files: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...new Set(files)].sort()) {
    const contents = await readFile(path.join(repositoryRoot, file)).catch(() => Buffer.from('missing'));
    hash.update(`${file}\0`).update(contents).update('\0');
  }
  return hash.digest('hex');
}
