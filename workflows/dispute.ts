// One dispute (dispute-<provider dispute id>): the thin Temporal shell around workflows/dispute-state.ts.
// The webhook route starts it with its first event (signal-with-start) and signals it the others; it
// runs the machine's commands as activities and owns the dispute's row. Deterministic orchestration only.
import { condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { disputeEventSignal, type DisputeWorkflowInput } from '../domain/refunds.ts';
import { disputeStatusKey } from '../domain/search-attributes.ts';
import { database } from './activity-options.ts';
import { decideDispute, startDispute, type DisputeCommand, type DisputeMachineEvent } from './dispute-state.ts';

/** Applies the dispute's events until it is closed; returns its final status. */
export async function disputeWorkflow(input: DisputeWorkflowInput): Promise<string> {
  let state = startDispute();
  const inbox: DisputeMachineEvent[] = [];
  setHandler(disputeEventSignal, (event) => void inbox.push({ type: 'provider_event', event }));
  for (;;) {
    await condition(() => inbox.length > 0);
    const commands: DisputeCommand[] = [];
    const first = decideDispute(state, inbox.shift()!);
    state = first.state;
    commands.push(...first.commands);
    for (let command = commands.shift(); command !== undefined; command = commands.shift()) {
      const next = decideDispute(state, await runCommand(input, command));
      state = next.state;
      commands.push(...next.commands);
    }
    upsertSearchAttributes([{ key: disputeStatusKey, value: state.status }]);
    if (state.phase === 'closed') return state.status;
  }
}

async function runCommand(input: DisputeWorkflowInput, command: DisputeCommand): Promise<DisputeMachineEvent> {
  if (command.kind === 'open') {
    const opened = await database.openDispute({
      ...input,
      amount: command.event.amountMicros,
      providerReason: command.event.providerReason,
      alreadyWon: command.alreadyWon,
    });
    return { type: 'opened', status: opened.status === 'won' ? 'won' : 'open' };
  }
  const closed = await database.closeDispute({ disputeId: input.disputeId, outcome: command.outcome });
  return { type: 'closed', status: closed.status === 'lost' ? 'lost' : 'won' };
}
