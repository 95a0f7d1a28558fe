// Loads a tab's data again whenever what it depends on changes (a filter, a page, a reload), and keeps
// only the newest answer: one for an older filter that arrives late is dropped, never shown.
import { useEffect, type Inputs } from 'preact/hooks';
import type { Outcome, Problem } from './calls.ts';

export function useLatestOutcome<Data>(
  load: () => Promise<Outcome<Data>>,
  dependencies: Inputs,
  setData: (data: Data) => void,
  setProblem: (problem: Problem | null) => void,
): void {
  useEffect(() => {
    let current = true;
    void load().then((outcome) => {
      if (!current) return;
      if (outcome.problem !== undefined) return setProblem(outcome.problem);
      setProblem(null);
      setData(outcome.data);
    });
    return () => {
      current = false;
    };
  }, dependencies);
}
