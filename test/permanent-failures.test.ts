// No activity retries forever on an error PostgreSQL will raise again: such an error is a named,
// non-retryable failure at once (activities/database-errors.ts), and the order records the reason
// instead of retrying for an hour: a new order whose row cannot be written is refused; a save or a
// credit that cannot be written holds the order for a person (needs_review, RefillNeedsReview=true).
// Real PostgreSQL (its own errors, raised by triggers a test puts on its own database), real Temporal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { classifyDatabaseError, isPermanentDatabaseError } from '../activities/database-errors.ts';
import { failureTypeOf } from '../domain/failures.ts';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { openCheckoutUpdate, orderStateQuery, orderWorkflowId, type StripeCheckoutOrderInput } from '../domain/orders.ts';
import { needsReviewKey } from '../domain/search-attributes.ts';
import { orderIdFor, randomToken } from '../ids/ids.ts';
import { decideBankTransfer, startBankTransfer } from '../workflows/bank-transfer-state.ts';
import { decideStripeCheckout, startStripeCheckout } from '../workflows/stripe-checkout-state.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { eventually } from './support/eventually.ts';
import { createTestAccount } from './support/api.ts';
import { checkoutEventFor, sendWebhook, startTestPipeline, type OrderJson, type TestPipeline } from './support/pipeline.ts';

/** Far below the hour and a half a retried database activity would take to give up. */
const failFastMilliseconds = 20_000;

describe('which database errors are permanent', () => {
  let database: TestDatabase;
  let sql: postgres.Sql;
  before(async () => {
    database = await createTestDatabase(2);
    sql = database.sql as unknown as postgres.Sql;
  });
  after(async () => {
    await database.close();
  });

  async function errorOf(query: () => Promise<unknown>): Promise<unknown> {
    return query().then(
      () => assert.fail('the statement succeeded'),
      (error: unknown) => error,
    );
  }

  test('a NUL byte, an over-long value, a constraint and an unknown column are named permanent failures', async () => {
    const nul = await errorOf(() => sql`select ${'a\u0000b'}::text`);
    const tooLong = await errorOf(() =>
      sql.begin(async (transaction) => {
        await transaction`create temporary table short (x varchar(3))`;
        await transaction`insert into short values (${'abcdef'})`;
      }),
    );
    const constraint = await errorOf(() =>
      sql.begin(async (transaction) => {
        await transaction`create temporary table positive (x int check (x > 0))`;
        await transaction`insert into positive values (0)`;
      }),
    );
    const unknownColumn = await errorOf(() => sql`select no_such_column from pg_class`);
    for (const [error, sqlState, type] of [
      [nul, '22021', 'invalid_data'],
      [tooLong, '22001', 'invalid_data'],
      [constraint, '23514', 'database_refused'],
      [unknownColumn, '42703', 'database_refused'],
    ] as const) {
      assert.ok(error instanceof postgres.PostgresError, String(error));
      assert.equal((error as postgres.PostgresError).code, sqlState);
      assert.ok(isPermanentDatabaseError(error));
      const classified = classifyDatabaseError(error);
      assert.equal(failureTypeOf(classified), type);
      assert.match((classified as Error).message, new RegExp(`SQLSTATE ${sqlState}`));
    }
  });

  test('a lost connection, a server that is starting and a deadlock stay retryable', () => {
    for (const code of ['57P03', '57P01', '40P01', '40001', '53300', '08006']) {
      const error = Object.assign(Object.create(postgres.PostgresError.prototype) as postgres.PostgresError, { code, message: code });
      assert.equal(isPermanentDatabaseError(error), false, code);
      assert.equal(classifyDatabaseError(error), error);
    }
    const connectionError = Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });
    assert.equal(classifyDatabaseError(connectionError), connectionError);
  });
});

describe('the state machines', () => {
  test('a write that failed for good flags the order for a person and asks for no second write', () => {
    const input = { orderId: 'ord_x', accountId: 'acct_x', customerEmail: 'a@example.com', requestHash: 'h', idempotencyKey: 'k' } as StripeCheckoutOrderInput;
    const stripe = startStripeCheckout({ ...input, terms: { currency: 'USD' } } as StripeCheckoutOrderInput).state;
    const flagged = decideStripeCheckout(stripe, { type: 'write_failed', reason: 'PostgreSQL refused the statement (SQLSTATE 23514)' });
    assert.deepEqual(flagged.commands, []);
    assert.equal(flagged.state.order.needsReview, true);
    assert.match(flagged.state.order.reviewReason ?? '', /could not be written: PostgreSQL refused the statement \(SQLSTATE 23514\)/);
    assert.equal(flagged.state.phase, stripe.phase);

    const bank = startBankTransfer(
      { ...input, terms: { currency: 'CNY' }, payee: { bankName: 'b', accountName: 'a', accountNumber: '0000' }, remitter: { name: 'r', bankName: 'rb', remarks: null } } as never,
      { remindAtMilliseconds: 1, expiresAtMilliseconds: 2 } as never,
    ).state;
    const bankFlagged = decideBankTransfer(bank, { type: 'write_failed', reason: 'SQLSTATE 22021' });
    assert.deepEqual(bankFlagged.commands, []);
    assert.equal(bankFlagged.state.order.needsReview, true);
  });
});

describe('orders whose rows PostgreSQL refuses', () => {
  let pipeline: TestPipeline;
  before(async () => {
    pipeline = await startTestPipeline();
  });
  after(async () => {
    await pipeline.close();
  });

  /** Makes PostgreSQL refuse (SQLSTATE 23514) the given change of one order's row, as a bug or a schema out of step would. */
  async function refuseOrderRow(orderId: string, operation: 'insert' | 'update', status: string | null): Promise<void> {
    const name = `refuse_${randomToken(6).toLowerCase()}`;
    await pipeline.database.sql.unsafe(`
      create function ${name}() returns trigger language plpgsql as $$
      begin
        if new.id = '${orderId}' ${status === null ? '' : `and new.status = '${status}'`} then
          raise exception 'test: order % refused', new.id using errcode = '23514';
        end if;
        return new;
      end $$;
      create trigger ${name} before ${operation} on orders for each row execute function ${name}();`);
  }

  async function createOrder(apiKey: string, key: string) {
    return pipeline.api.request('POST', '/v1/topups', { token: apiKey, idempotencyKey: key, body: { amount: '20.00', payment_method: 'stripe' } });
  }

  async function workflowState(orderId: string) {
    const handle = pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(orderId));
    return { order: await handle.query(orderStateQuery), needsReview: (await handle.describe()).typedSearchAttributes.get(needsReviewKey) };
  }

  test('a new order with a NUL byte in its URL is refused at once as invalid_data, not retried', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const key = `nul-${randomToken(6)}`;
    const now = new Date();
    // Straight to the workflow, past the API's own checks: the activity's error is what is tested.
    const input: StripeCheckoutOrderInput = {
      orderId: orderIdFor(account.accountId, key),
      accountId: account.accountId,
      customerEmail: 'customer@example.com',
      requestHash: 'hash',
      idempotencyKey: key,
      terms: {
        currency: 'USD',
        paymentMethod: 'stripe',
        packageId: null,
        amount: '20.000000',
        discount: '0.000000',
        payAmount: '20.000000',
        bonus: '0.000000',
        credit: '20.000000',
        promoCode: null,
      },
      successUrl: 'http://localhost/success\u0000',
      cancelUrl: 'http://localhost/cancel',
      expiresAt: new Date(now.getTime() + 30 * 60_000).toISOString(),
      createdAt: now.toISOString(),
    };
    const started = Date.now();
    const update = pipeline.api.temporalClient.workflow.executeUpdateWithStart(openCheckoutUpdate, {
      args: [{ requestHash: 'hash' }],
      startWorkflowOperation: new WithStartWorkflowOperation('stripeCheckoutOrder', {
        workflowId: orderWorkflowId(input.orderId),
        taskQueue: pipeline.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    const refused = await update.then(
      () => assert.fail('the order was opened'),
      (error: unknown) => error,
    );
    assert.equal(failureTypeOf(refused), 'invalid_data');
    assert.match(String((refused as Error & { cause?: Error }).cause?.message ?? refused), /22021/);
    const result = await pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(input.orderId)).result();
    assert.equal(result.outcome, 'rejected');
    assert.equal(result.outcome === 'rejected' ? result.code : null, 'invalid_data');
    assert.ok(Date.now() - started < failFastMilliseconds, 'refused within seconds');
  });

  test('a new order whose row PostgreSQL refuses answers at once, and the same key gives the same answer', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const key = `refused-${randomToken(6)}`;
    await refuseOrderRow(orderIdFor(account.accountId, key), 'insert', null);
    const first = await createOrder(account.apiKey, key);
    assert.equal(first.status, 500, first.text);
    assert.equal(first.body.error.code, 'internal_error');
    const again = await createOrder(account.apiKey, key);
    assert.equal(again.status, 500, again.text);
    const result = await pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(orderIdFor(account.accountId, key))).result();
    assert.deepEqual({ outcome: result.outcome, code: result.outcome === 'rejected' ? result.code : null }, { outcome: 'rejected', code: 'database_refused' });
  });

  test('a save PostgreSQL refuses flags the order for a person with the reason; the workflow is not failed', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const created = await createOrder(account.apiKey, `save-${randomToken(6)}`);
    assert.equal(created.status, 201, created.text);
    const order = created.body as OrderJson;
    await refuseOrderRow(order.id, 'update', 'cancelled');
    const cancelled = await pipeline.api.request('POST', `/v1/topups/${order.id}/cancel`, { token: account.apiKey });
    assert.equal(cancelled.status, 200, cancelled.text);
    const state = await eventually(
      async () => {
        const current = await workflowState(order.id);
        return current.needsReview === true ? current : undefined;
      },
      { description: 'RefillNeedsReview=true on the order', timeoutMilliseconds: failFastMilliseconds },
    );
    assert.equal(state.order?.needsReview, true);
    assert.match(state.order?.reviewReason ?? '', /could not be written: .*SQLSTATE 23514/);
    const description = await pipeline.api.temporalClient.workflow.getHandle(orderWorkflowId(order.id)).describe();
    assert.notEqual(description.status.name, 'FAILED');
  });

  test('a credit PostgreSQL refuses holds the order for review with the reason and credits nothing', async () => {
    const account = await createTestAccount(pipeline.api, 'USD');
    const created = await createOrder(account.apiKey, `credit-${randomToken(6)}`);
    assert.equal(created.status, 201, created.text);
    const order = created.body as OrderJson;
    await refuseOrderRow(order.id, 'update', 'succeeded');
    const [row] = await pipeline.database.sql<{ checkout_session_id: string }[]>`select checkout_session_id from orders where id = ${order.id}`;
    const paid = await sendWebhook(pipeline.api, checkoutEventFor(order, 'checkout.session.completed', { sessionId: row!.checkout_session_id }));
    assert.equal(paid.status, 200, paid.text);
    const held = await eventually(
      async () => {
        const response = await pipeline.api.request('GET', `/v1/topups/${order.id}`, { token: account.apiKey });
        return response.body.needs_review === true ? response.body : undefined;
      },
      { description: 'the order held for review', timeoutMilliseconds: failFastMilliseconds },
    );
    assert.equal(held.status, 'processing');
    assert.equal((await workflowState(order.id)).needsReview, true);
    assert.match((await workflowState(order.id)).order?.reviewReason ?? '', /the credit failed: .*SQLSTATE 23514/);
    const [transfers] = await pipeline.database.sql<{ count: number }[]>`select count(*)::int as count from transfers where order_id = ${order.id}`;
    assert.equal(transfers!.count, 0);
  });
});
