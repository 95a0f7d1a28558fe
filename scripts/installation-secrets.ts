// Secrets of one local installation (the admin token, the sandbox's webhook secret): generated on first
// use and kept in .data/, readable by their owner only, so every later start of `npm start` uses the same.
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';

/** A fresh webhook signing secret in Stripe's format. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

/** A fresh admin token. */
export function generateAdminToken(): string {
  return `adm_${randomBytes(24).toString('hex')}`;
}

/** The secret kept in `file`; on first use, `generate()`'s value, written there (mode 0600). */
export async function installationSecret(file: string, generate: () => string): Promise<string> {
  const existing = await readSecret(file);
  if (existing !== null) return existing;
  const secret = generate();
  try {
    // 'wx' fails if another start wrote the file first: then that start's secret is the installation's.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readSecret(file);
    if (written === null) throw new Error(`${file} is empty: delete it to generate a new secret`);
    return written;
  }
}

async function readSecret(file: string): Promise<string | null> {
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret === '') throw new Error(`${file} is empty: delete it to generate a new secret`);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
