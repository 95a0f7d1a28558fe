// What every queue page of the ops console is made of: the items it lists, and how one is shown.
import type { ApiDependencies } from '../../dependencies.ts';

/** At most this many items are listed on a queue page (and counted on the home page, as "100+"). */
export const maximumQueueItems = 100;

/** What a queue's page needs besides its items. */
export interface QueueContext {
  csrfToken: string;
  temporalUiUrl: string | null;
  namespace: string;
  now: Date;
}

export interface OpsQueue<Item> {
  path: string;
  title: string;
  /** What the queue holds, for "No … right now." */
  emptyText: string;
  /** The items in the order ops work them, at most `limit`. */
  list(dependencies: ApiDependencies, limit: number): Promise<Item[]>;
  /** One item: its facts, its Temporal link and its action forms. */
  render(item: Item, context: QueueContext): string;
}
