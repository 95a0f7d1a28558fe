// The README stays true: its first lines hold the two commands, its error table is generated from the
// code, and it documents every configuration variable.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { configEnvironmentVariables } from '../config/config.ts';
import { readmePath, withGeneratedSections } from '../scripts/docs.ts';

const readme = await readFile(readmePath, 'utf8');

test('the README opens with the start and test commands, and CI runs the test command', async () => {
  const top = readme.split('\n').slice(0, 6).join('\n');
  assert.match(top, /^npm start\b/m);
  assert.match(top, /^npm test\b/m);
  const ci = await readFile(new URL('../.ci/run', import.meta.url), 'utf8');
  assert.match(ci, /^npm test$/m);
});

test('the error code table is current (run `npm run docs` after changing domain/errors.ts)', () => {
  assert.equal(readme, withGeneratedSections(readme));
});

test('every configuration variable is documented', () => {
  const missing = configEnvironmentVariables.filter((name) => !readme.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});
