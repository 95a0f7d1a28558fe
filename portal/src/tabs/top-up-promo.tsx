// The promo code of the top-up tab: type one and apply it, or remove the one applied. Whether it is valid
// is the live quote's answer (top-up.tsx); a refusal is shown here, in the customer's language.
import { useState } from 'preact/hooks';
import { t } from './top-up-messages.ts';

export function PromoField(props: { applied: string | null; problem: string | null; onApply(code: string): void; onRemove(): void }) {
  const [typed, setTyped] = useState(props.applied ?? '');
  const [announcement, setAnnouncement] = useState('');
  const apply = () => {
    const code = typed.trim();
    if (code === '') return;
    props.onApply(code);
    setAnnouncement('');
  };
  return (
    <div class="field">
      <label for="promo-code">{t('promo')}</label>
      <div class="inline">
        <input
          id="promo-code"
          value={typed}
          autoComplete="off"
          aria-invalid={props.problem !== null}
          aria-describedby="promo-code-status"
          readOnly={props.applied !== null}
          onInput={(event) => setTyped((event.currentTarget as HTMLInputElement).value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && props.applied === null) {
              event.preventDefault();
              apply();
            }
          }}
        />
        {props.applied === null ? (
          <button type="button" class="button-secondary" onClick={apply}>
            {t('apply')}
          </button>
        ) : (
          <button
            type="button"
            class="button-secondary"
            onClick={() => {
              props.onRemove();
              setTyped('');
              setAnnouncement(t('promoRemoved'));
            }}
          >
            {t('remove')}
          </button>
        )}
      </div>
      <p id="promo-code-status" role="status" class={props.problem === null ? 'hint' : 'error'}>
        {props.problem ?? (props.applied === null ? announcement : t('promoApplied', { code: props.applied.toUpperCase() }))}
      </p>
    </div>
  );
}
