// The folders keep their promises (STYLE.md, "Folders show the architecture"): domain/ imports nothing
// with side effects and nothing from the layers around it, and workflows/ imports only what the
// deterministic workflow sandbox may run. Imports are read with the TypeScript parser, so multi-line
// imports, `export … from`, `import()` and `require()` are all seen.
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';
import { repositoryRoot } from '../dev/tools.ts';

interface ImportReference {
  specifier: string;
  /** `import type` / `export type`: erased at compile time, so nothing of the module runs. */
  typeOnly: boolean;
}

interface SourceFile {
  /** Relative to the repository root, with forward slashes: "domain/ids.ts". */
  file: string;
  imports: ImportReference[];
}

/** Where an import leads: a Node built-in, an npm package, or a file of this project (by its top folder). */
type ImportTarget = { kind: 'builtin' } | { kind: 'package'; name: string } | { kind: 'project'; folder: string };

/** Packages that talk to the world (disk, network, database, mail, logs); domain/ must not reach them. */
const sideEffectPackages = ['postgres', 'express', 'stripe', 'nodemailer', 'pino'];

/**
 * Workflow files allowed to break the workflows rule, as "file imports specifier". Empty: every file
 * keeps it. An entry here is a debt to pay back, not a second rule.
 */
const workflowRuleExceptions: string[] = [];

/** Every module reference in a TypeScript source text, with whether it is type-only. */
function importsOf(fileName: string, text: string): ImportReference[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: ImportReference[] = [];
  const visit = (node: ts.Node): void => {
    const reference = referenceOf(node);
    if (reference !== null) found.push(reference);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function referenceOf(node: ts.Node): ImportReference | null {
  if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
    // `import { type A } from 'x'` is not type-only: under verbatimModuleSyntax it still loads 'x'.
    return { specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly ?? false };
  }
  if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
    return { specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly };
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
    return { specifier: node.argument.literal.text, typeOnly: true };
  }
  if (ts.isCallExpression(node) && isImportOrRequire(node.expression)) {
    const [argument] = node.arguments;
    if (argument !== undefined && ts.isStringLiteralLike(argument)) return { specifier: argument.text, typeOnly: false };
  }
  return null;
}

function isImportOrRequire(callee: ts.Expression): boolean {
  return callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require');
}

/** What an import in `file` (relative to the repository root) leads to. */
function targetOf(file: string, specifier: string): ImportTarget {
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const resolved = path.relative(repositoryRoot, path.resolve(repositoryRoot, path.dirname(file), specifier));
    return { kind: 'project', folder: resolved.split(path.sep)[0]! };
  }
  const firstSegment = specifier.split('/')[0]!;
  if (specifier.startsWith('node:') || builtinModules.includes(firstSegment)) return { kind: 'builtin' };
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : firstSegment;
  return { kind: 'package', name };
}

/** Why a domain/ import breaks the rule, or null when it keeps it. */
function domainViolation(file: string, reference: ImportReference): string | null {
  const target = targetOf(file, reference.specifier);
  if (target.kind === 'builtin') return 'a Node built-in';
  if (target.kind === 'package') return sideEffectPackages.includes(target.name) ? 'a package with side effects' : null;
  return target.folder === 'domain' ? null : `a project module outside domain/ (${target.folder}/)`;
}

/** Why a workflows/ import breaks the rule, or null when it keeps it. */
function workflowViolation(file: string, reference: ImportReference): string | null {
  const target = targetOf(file, reference.specifier);
  if (target.kind === 'builtin') return 'a Node built-in';
  if (target.kind === 'package') {
    const allowed = reference.specifier === '@temporalio/workflow' || reference.specifier.startsWith('@temporalio/workflow/');
    return allowed ? null : 'a package other than @temporalio/workflow';
  }
  if (target.folder === 'domain' || target.folder === 'workflows') return null;
  if (target.folder === 'activities') return reference.typeOnly ? null : 'activities/ other than through `import type`';
  return `a project module outside domain/ and workflows/ (${target.folder}/)`;
}

async function sourceFilesUnder(folder: string): Promise<SourceFile[]> {
  const entries = await readdir(path.join(repositoryRoot, folder), { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(repositoryRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
  return Promise.all(
    files.map(async (file) => ({ file, imports: importsOf(file, await readFile(path.join(repositoryRoot, file), 'utf8')) })),
  );
}

/** "file imports 'specifier': reason" for every import that breaks `rule`. */
function violations(files: SourceFile[], rule: (file: string, reference: ImportReference) => string | null): string[] {
  return files.flatMap(({ file, imports }) =>
    imports.flatMap((reference) => {
      const reason = rule(file, reference);
      const kind = reference.typeOnly ? 'imports type from' : 'imports';
      return reason === null ? [] : [`${file} ${kind} '${reference.specifier}': ${reason}`];
    }),
  );
}

describe('architecture', () => {
  test('the import reader sees every form of import, and which are type-only', () => {
    const text = [
      "import { readFileSync } from 'node:fs';",
      "import type { Logger } from 'pino';",
      "import { type Sql } from '../db/client.ts';",
      'import {',
      '  a,',
      '  b,',
      "} from './multi-line.ts';",
      "export { c } from './re-export.ts';",
      "export type { D } from './type-re-export.ts';",
      "type E = import('stripe').Stripe;",
      "const f = await import('postgres');",
      "const g = require('crypto');",
    ].join('\n');
    assert.deepEqual(importsOf('domain/example.ts', text), [
      { specifier: 'node:fs', typeOnly: false },
      { specifier: 'pino', typeOnly: true },
      { specifier: '../db/client.ts', typeOnly: false },
      { specifier: './multi-line.ts', typeOnly: false },
      { specifier: './re-export.ts', typeOnly: false },
      { specifier: './type-re-export.ts', typeOnly: true },
      { specifier: 'stripe', typeOnly: true },
      { specifier: 'postgres', typeOnly: false },
      { specifier: 'crypto', typeOnly: false },
    ]);
  });

  test('the rules name what they refuse', () => {
    const value = (specifier: string): ImportReference => ({ specifier, typeOnly: false });
    assert.equal(domainViolation('domain/a.ts', value('crypto')), 'a Node built-in');
    assert.equal(domainViolation('domain/a.ts', value('node:fs/promises')), 'a Node built-in');
    assert.equal(domainViolation('domain/a.ts', value('pino')), 'a package with side effects');
    assert.equal(domainViolation('domain/a.ts', value('../ids/ids.ts')), 'a project module outside domain/ (ids/)');
    assert.equal(domainViolation('domain/a.ts', value('./money.ts')), null);
    assert.equal(domainViolation('domain/a.ts', value('zod')), null);
    assert.equal(workflowViolation('workflows/a.ts', value('../activities/index.ts')), 'activities/ other than through `import type`');
    assert.equal(workflowViolation('workflows/a.ts', { specifier: '../activities/index.ts', typeOnly: true }), null);
    assert.equal(workflowViolation('workflows/a.ts', value('@temporalio/common')), 'a package other than @temporalio/workflow');
    assert.equal(workflowViolation('workflows/a.ts', value('../observability/logger.ts')), 'a project module outside domain/ and workflows/ (observability/)');
    assert.equal(workflowViolation('workflows/a.ts', value('../domain/orders.ts')), null);
  });

  test('domain/ imports no Node built-in, no package with side effects, and nothing of the project outside domain/', async () => {
    const files = await sourceFilesUnder('domain');
    assert.ok(files.length > 0, 'domain/ has source files');
    assert.deepEqual(violations(files, domainViolation), []);
  });

  test('workflows/ imports only @temporalio/workflow, domain/, workflows/ and types from activities/', async () => {
    const files = await sourceFilesUnder('workflows');
    assert.ok(files.length > 0, 'workflows/ has source files');
    const found = violations(files, workflowViolation).filter(
      (line) => !workflowRuleExceptions.some((exception) => line.startsWith(`${exception}:`)),
    );
    assert.deepEqual(found, []);
  });
});
