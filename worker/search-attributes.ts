// Makes sure the order workflows' custom search attributes exist on the namespace, so the same code
// runs against the dev server, a compose cluster or a bare server without a manual setup step.
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { refillSearchAttributeKeys } from '../domain/search-attributes.ts';
import type { Logger } from '../observability/logger.ts';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

/** The operator API's name for each search attribute type. */
const indexedValueTypes: Record<SearchAttributeType, proto.temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** A namespace that has just been created may not accept operator calls yet. */
const attempts = 30;
const retryDelayMilliseconds = 1_000;

export async function ensureSearchAttributes(connection: Connection, namespace: string, logger: Logger): Promise<string[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const existing = await connection.operatorService.listSearchAttributes({ namespace });
      const known = new Set(Object.keys(existing.customAttributes ?? {}));
      const missing = refillSearchAttributeKeys.filter((key) => !known.has(key.name));
      if (missing.length === 0) return [];
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((key) => [key.name, indexedValueTypes[key.type]]),
        ),
      });
      const names = missing.map((key) => key.name);
      logger.info({ namespace, added: names }, 'search attributes created');
      return names;
    } catch (error) {
      // Another worker may have added them at the same moment: look again.
      if (attempt >= attempts) throw error;
      logger.warn({ namespace, attempt, err: error }, 'search attributes not ready; retrying');
      await new Promise((resolve) => setTimeout(resolve, retryDelayMilliseconds));
    }
  }
}
