// Running workflows must keep replaying: every history recorded from a real run (test/fixtures/histories,
// written by `npm run histories:record`) replays against the current workflow code without
// nondeterminism. A failure here means a change to a workflow's control flow would break orders that
// are open now: put the change behind patched(), or give the workflow a new type (README, "Versioning").
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { repositoryRoot } from '../dev/tools.ts';
import * as workflows from '../workflows/index.ts';
import { workflowBundle } from './support/pipeline.ts';

const historiesDirectory = path.join(repositoryRoot, 'test/fixtures/histories');

interface RecordedHistory {
  workflowType: string;
  scenario: string;
  history: unknown;
}

async function recordedHistories(): Promise<RecordedHistory[]> {
  const histories: RecordedHistory[] = [];
  for (const workflowType of (await readdir(historiesDirectory)).sort()) {
    for (const file of (await readdir(path.join(historiesDirectory, workflowType))).sort()) {
      const text = await readFile(path.join(historiesDirectory, workflowType, file), 'utf8');
      histories.push({ workflowType, scenario: path.basename(file, '.json'), history: JSON.parse(text) });
    }
  }
  return histories;
}

test('every workflow type the worker runs has recorded histories', async () => {
  const recorded = new Set((await recordedHistories()).map((history) => history.workflowType));
  for (const workflowType of Object.keys(workflows)) {
    assert.ok(recorded.has(workflowType), `no recorded history of ${workflowType}: run npm run histories:record`);
  }
});

test('every recorded history replays against the current workflow code', async () => {
  const histories = await recordedHistories();
  assert.ok(histories.length >= 8, `only ${histories.length} histories recorded`);
  const bundle = await workflowBundle();
  for (const { workflowType, scenario, history } of histories) {
    const workflowId = `replay-${workflowType}-${scenario}`;
    await assert.doesNotReject(
      Worker.runReplayHistory({ workflowBundle: bundle, replayName: workflowId }, history, workflowId),
      `${workflowType}/${scenario} no longer replays`,
    );
  }
});
