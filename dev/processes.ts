// Child processes of the start and test commands: started with their output prefixed, stopped with a deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(timeoutMilliseconds?: number): Promise<void>;
}

export interface StartProcessOptions {
  name: string;
  command: string;
  args: string[];
  environment?: NodeJS.ProcessEnv;
  /** Receives each line of the process's output; defaults to printing it with the name as prefix. */
  onLine?: (line: string) => void;
  cwd?: string;
}

/** Spawns a process in its own process group so that stopping it also stops its children. */
export function startProcess(options: StartProcessOptions): ManagedProcess {
  const child = spawn(options.command, options.args, {
    env: options.environment ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const onLine = options.onLine ?? ((line: string) => process.stdout.write(`[${options.name}] ${line}\n`));
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) readline.createInterface({ input: stream }).on('line', onLine);
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  const stop = async (timeoutMilliseconds = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), timeoutMilliseconds);
    await exited;
    clearTimeout(timer);
  };
  return { name: options.name, child, exited, stop };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Polls `check` until it returns true, failing after the deadline or when `abort` resolves first. */
export async function waitUntil(
  description: string,
  check: () => Promise<boolean>,
  options: { timeoutMilliseconds: number; abort?: Promise<unknown> },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMilliseconds;
  let aborted: unknown;
  options.abort?.then((reason) => (aborted = reason ?? 'aborted'));
  while (Date.now() < deadline) {
    if (aborted !== undefined) throw new Error(`${description}: the process ended (${String(aborted)})`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${description}: not ready after ${options.timeoutMilliseconds} ms`);
}
