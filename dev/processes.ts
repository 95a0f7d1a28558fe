// Child processes of the start and test commands: started with their output prefixed, stopped with a
// deadline. Each runs in its own process group, so a terminal's Ctrl-C reaches only the command that
// started it, which then stops them in order; a pid file (dev/run-files.ts) lets the next run, or the
// watchdog, find one this command could not stop because it was killed itself.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { removeRunFile, writeRunFile } from './run-files.ts';

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
  /** Runs it as another user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
  /** The signal that asks it to stop (PostgreSQL's fast shutdown is SIGINT); SIGTERM by default. */
  stopSignal?: NodeJS.Signals;
  /**
   * Whom the stop signal is sent to: the whole group (a process with children of its own, which it may
   * not stop itself), or the process alone (PostgreSQL, whose backends its postmaster stops).
   */
  stopTarget?: 'group' | 'process';
  /** A folder for its pid file (written at start, removed at exit), for leftovers of a killed run. */
  runDirectory?: string;
}

/** The default time a process gets to stop after its stop signal, before SIGKILL. */
const defaultStopTimeoutMilliseconds = 10_000;

/** Spawns a process in its own process group; stop() signals it and waits until the whole group is gone. */
export function startProcess(options: StartProcessOptions): ManagedProcess {
  const child = spawn(options.command, options.args, {
    env: options.environment ?? process.env,
    cwd: options.cwd,
    ...(options.user ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const onLine = options.onLine ?? ((line: string) => process.stdout.write(`[${options.name}] ${line}\n`));
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) readline.createInterface({ input: stream }).on('line', onLine);
  }
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  const stopTarget = options.stopTarget ?? 'group';
  const runFile = { name: options.name, commandLine: [options.command, ...options.args], stopSignal, stopTarget };
  if (options.runDirectory !== undefined && child.pid !== undefined) writeRunFile(options.runDirectory, { ...runFile, pid: child.pid });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      if (options.runDirectory !== undefined) removeRunFile(options.runDirectory, options.name);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => resolve(error.message));
  });
  const stop = async (timeoutMilliseconds = defaultStopTimeoutMilliseconds) => {
    if (child.pid === undefined) return;
    const pid = child.pid;
    if (child.exitCode === null && child.signalCode === null) signal(pid, stopTarget, stopSignal);
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), timeoutMilliseconds);
    await exited;
    // Its own children (a backend, a server a wrapper started) may outlive it for a moment.
    await waitForGroupToEnd(pid, timeoutMilliseconds);
    clearTimeout(timer);
  };
  return { name: options.name, child, exited, stop };
}

function signal(pid: number, target: 'group' | 'process', name: NodeJS.Signals): void {
  if (target === 'group') signalGroup(pid, name);
  else signalProcess(pid, name);
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Whether any process of the group is left. */
export function groupIsAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until no process of the group is left; SIGKILLs what is after the deadline. */
export async function waitForGroupToEnd(pid: number, timeoutMilliseconds: number): Promise<void> {
  const deadline = Date.now() + timeoutMilliseconds;
  while (groupIsAlive(pid)) {
    if (Date.now() > deadline) {
      signalGroup(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
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
