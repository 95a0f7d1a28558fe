// npm run client: writes the API contract and the typed client's types (scripts/client-files.ts) into
// client/. Run it after changing a route's operations; test/client.test.ts fails until it is run.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generatedClientFiles } from './client-files.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..');

for (const [file, contents] of Object.entries(await generatedClientFiles())) {
  await writeFile(path.join(repositoryRoot, file), contents);
  console.log(`wrote ${file}`);
}
