// Keyset pages of a /v1 list: the API hands out an opaque next_cursor, so "previous" is the cursor
// the page before was fetched with, kept on a stack. A new filter starts again at the first page.
import { useState } from 'preact/hooks';
import { defineMessages } from '../../i18n.ts';

// Every list pages from newest to oldest, so "previous" is newer and "next" is older.
const t = defineMessages({
  en: { previous: 'Newer', next: 'Older', page: 'Page {number}' },
  'zh-CN': { previous: '较新', next: '较早', page: '第 {number} 页' },
});

export interface CursorPages {
  /** The cursor the current page is fetched with (null: the first page). */
  cursor: string | null;
  /** 1 for the first page. */
  pageNumber: number;
  hasPrevious: boolean;
  previous(): void;
  /** Moves on to the page after the current one, given the current page's next_cursor. */
  next(nextCursor: string): void;
  /** Back to the first page (after a filter change). */
  reset(): void;
}

/** The page the customer is on, and how to move between pages. */
export function useCursorPages(): CursorPages {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  return {
    cursor: stack[stack.length - 1] ?? null,
    pageNumber: stack.length,
    hasPrevious: stack.length > 1,
    previous: () => setStack((current) => (current.length > 1 ? current.slice(0, -1) : current)),
    next: (nextCursor) => setStack((current) => [...current, nextCursor]),
    reset: () => setStack([null]),
  };
}

export interface PagerProps {
  pages: CursorPages;
  nextCursor: string | null;
  /** Names the navigation landmark, such as "Pages of orders". */
  label: string;
}

/** Previous / next buttons under a list, hidden when there is only one page. */
export function Pager({ pages, nextCursor, label }: PagerProps) {
  if (!pages.hasPrevious && nextCursor === null) return null;
  return (
    <nav class="tab-pager" aria-label={label}>
      <button type="button" class="button button-secondary" disabled={!pages.hasPrevious} onClick={pages.previous}>
        {t('previous')}
      </button>
      <span aria-live="polite">{t('page', { number: String(pages.pageNumber) })}</span>
      <button type="button" class="button button-secondary" disabled={nextCursor === null} onClick={() => nextCursor !== null && pages.next(nextCursor)}>
        {t('next')}
      </button>
    </nav>
  );
}
