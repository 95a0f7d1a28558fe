// How `npm start` (and `npm run bench:pipeline`, which measures the worker as it starts there) launches
// the worker process: the command, its arguments and its environment.
import { repositoryRoot } from '../dev/tools.ts';

export interface WorkerLaunch {
  command: string;
  args: string[];
  environment: NodeJS.ProcessEnv;
}

/** The worker's launch for an environment. */
export async function workerLaunch(environment: NodeJS.ProcessEnv): Promise<WorkerLaunch> {
  void repositoryRoot;
  return { command: process.execPath, args: ['--import', 'tsx', 'worker/main.ts'], environment };
}
