// Run as a child process by test/postgres-outage.test.ts: a transaction whose backend is terminated
// while its query runs, through the pool every process uses (db/client.ts). postgres 3.4.9 unpatched
// throws an uncaught TypeError from its deferred ROLLBACK write (porsager/postgres#1208), which ends
// this process with code 1; patched, the transaction rejects with CONNECTION_CLOSED and the pool goes
// on. Prints one JSON line with what it saw.
import { closeSql, createSql } from '../../db/client.ts';

const url = process.argv[2];
if (url === undefined) throw new Error('usage: terminated-transaction.ts DATABASE_URL');
const sql = createSql({ url, poolSize: 2, applicationName: 'refill-terminated-transaction' });
const killer = createSql({ url, poolSize: 1, applicationName: 'refill-terminated-transaction-killer' });

let backend: number | null = null;
// The rejection is taken up at once: the closed socket can be read before the killer's own answer, and a
// rejection nobody has subscribed to by then would end this process as unhandled, whatever the driver does.
const rejection = sql
  .begin(async (inner) => {
    const [row] = await inner<{ pid: number }[]>`select pg_backend_pid() as pid`;
    backend = row!.pid;
    await inner`select pg_sleep(5)`;
  })
  .then(
    () => null,
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
while (backend === null) await new Promise((resolve) => setTimeout(resolve, 20));
await killer`select pg_terminate_backend(${backend})`;
// A few turns of the event loop, where the deferred write would run.
await new Promise((resolve) => setTimeout(resolve, 200));
const [after] = await sql<{ one: number }[]>`select 1 as one`;
console.log(JSON.stringify({ rejection: await rejection, queryAfter: after!.one }));
await closeSql(killer, 1);
await closeSql(sql, 1);
