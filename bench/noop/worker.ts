// The no-op worker of `npm run bench:pipeline`: the same SDK as Refill's worker, one trivial workflow and
// one trivial activity, from a bundle the bench built (NOOP_WORKFLOW_BUNDLE), so its memory is what the
// SDK itself costs. Prints "noop worker running" once it polls.
import { NativeConnection, Worker } from '@temporalio/worker';
import { noopActivities } from './activities.ts';

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.NOOP_TASK_QUEUE!,
  workflowBundle: { codePath: process.env.NOOP_WORKFLOW_BUNDLE! },
  activities: noopActivities,
});
console.log('noop worker running');
await worker.run();
await connection.close();
