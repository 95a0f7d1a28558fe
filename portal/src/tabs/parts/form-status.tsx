// The end of a settings form: its refusal (announced, and named by the invalid field's aria-describedby
// through `problemId`), its confirmation once saved, and the save button, busy while saving.
import type { Locale } from '../../i18n.ts';
import type { Problem } from './calls.ts';
import { problemText } from './problem.ts';

export interface FormStatusProps {
  problemId: string;
  problem: Problem | null;
  notice: string | null;
  busy: boolean;
  locale: Locale;
  saveLabel: string;
  savingLabel: string;
}

export function FormStatus({ problemId, problem, notice, busy, locale, saveLabel, savingLabel }: FormStatusProps) {
  return (
    <>
      <div aria-live="polite">
        {problem === null ? null : (
          <p id={problemId} class="error" role="alert">
            {problemText(problem, locale)}
          </p>
        )}
        {notice === null ? null : <p class="success">{notice}</p>}
      </div>
      <button type="submit" class="button" disabled={busy}>
        {busy ? savingLabel : saveLabel}
      </button>
    </>
  );
}
