// The rules of one dispute (chargeback), as a pure state machine: the provider's events in, the next
// state and the commands out. No Temporal import, no clock, no I/O; workflows/dispute.ts is the shell.
//
// One workflow per dispute (dispute-<provider dispute id>): the provider's events name the dispute, each
// dispute takes back and gives back its own share of one order's credit, and whether the account stays
// restricted is derived from the restrictions of all its disputes (account_restrictions), so no dispute
// needs another's state. Events are applied once each and in any order: a `closed` that arrives before
// its `created` opens and closes the dispute at once (lost: credit taken back; won: nothing taken).
import type { DisputeEvent } from '../domain/refunds.ts';

export type DisputePhase = 'waiting_for_news' | 'opening' | 'open' | 'closing' | 'closed';

export interface DisputeState {
  phase: DisputePhase;
  status: 'unknown' | 'open' | 'won' | 'lost';
  appliedEventIds: string[];
  /** A close that came before the dispute was opened: carried out once it is. */
  pendingClose: 'won' | 'lost' | null;
}

export type DisputeMachineEvent =
  | { type: 'provider_event'; event: DisputeEvent }
  | { type: 'opened'; status: 'open' | 'won' }
  | { type: 'closed'; status: 'won' | 'lost' };

export type DisputeCommand =
  | { kind: 'open'; event: DisputeEvent; alreadyWon: boolean }
  | { kind: 'close'; outcome: 'won' | 'lost' };

export interface DisputeTransition {
  state: DisputeState;
  commands: DisputeCommand[];
}

export function startDispute(): DisputeState {
  return { phase: 'waiting_for_news', status: 'unknown', appliedEventIds: [], pendingClose: null };
}

/** A closed dispute's outcome in Refill's terms: lost keeps the credit taken back; every other close gives it back. */
export function closeOutcome(providerStatus: string): 'won' | 'lost' {
  return providerStatus === 'lost' ? 'lost' : 'won';
}

export function decideDispute(state: DisputeState, event: DisputeMachineEvent): DisputeTransition {
  switch (event.type) {
    case 'provider_event':
      return providerEvent(state, event.event);
    case 'opened':
      if (event.status === 'won') return { state: { ...state, phase: 'closed', status: 'won' }, commands: [] };
      if (state.pendingClose !== null) return { state: { ...state, phase: 'closing', status: 'open' }, commands: [{ kind: 'close', outcome: state.pendingClose }] };
      return { state: { ...state, phase: 'open', status: 'open' }, commands: [] };
    case 'closed':
      return { state: { ...state, phase: 'closed', status: event.status }, commands: [] };
  }
}

function providerEvent(state: DisputeState, event: DisputeEvent): DisputeTransition {
  if (state.appliedEventIds.includes(event.eventId) || state.phase === 'closed') return { state, commands: [] };
  const recorded = { ...state, appliedEventIds: [...state.appliedEventIds, event.eventId] };
  if (event.kind === 'created') {
    if (state.phase !== 'waiting_for_news') return { state: recorded, commands: [] };
    return { state: { ...recorded, phase: 'opening' }, commands: [{ kind: 'open', event, alreadyWon: false }] };
  }
  const outcome = closeOutcome(event.status);
  if (state.phase === 'open') return { state: { ...recorded, phase: 'closing' }, commands: [{ kind: 'close', outcome }] };
  if (state.phase !== 'waiting_for_news') return { state: recorded, commands: [] };
  const opening = { ...recorded, phase: 'opening' as const, pendingClose: outcome === 'lost' ? ('lost' as const) : null };
  return { state: opening, commands: [{ kind: 'open', event, alreadyWon: outcome === 'won' }] };
}
