// A real Temporal server for local runs and tests: the CLI's development server (server, SQLite, Web UI).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isListening } from './ports.ts';
import { startProcess, waitUntil, type ManagedProcess } from './processes.ts';

export interface LocalTemporalOptions {
  cliPath: string;
  port: number;
  uiPort: number | null;
  /** Persist workflows to this SQLite file; in memory when null. */
  databaseFile: string | null;
  namespaces?: string[];
  onLine?: (line: string) => void;
  /** A folder for the server's pid file (dev/run-files.ts), for the start command's leftovers. */
  runDirectory?: string;
}

export interface LocalTemporal {
  address: string;
  uiUrl: string | null;
  process: ManagedProcess;
  stop(): Promise<void>;
}

const startTimeoutMilliseconds = 60_000;

export async function startLocalTemporal(options: LocalTemporalOptions): Promise<LocalTemporal> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  if (options.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.databaseFile !== null) {
    await mkdir(path.dirname(options.databaseFile), { recursive: true });
    args.push('--db-filename', options.databaseFile);
  }
  for (const namespace of options.namespaces ?? []) args.push('--namespace', namespace);
  const process = startProcess({
    name: 'temporal',
    command: options.cliPath,
    args,
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
    ...(options.runDirectory === undefined ? {} : { runDirectory: options.runDirectory }),
  });
  await waitUntil('Temporal server', () => isListening(options.port), {
    timeoutMilliseconds: startTimeoutMilliseconds,
    abort: process.exited,
  });
  if (options.uiPort !== null) {
    const uiPort = options.uiPort;
    await waitUntil('Temporal UI', () => isListening(uiPort), {
      timeoutMilliseconds: startTimeoutMilliseconds,
      abort: process.exited,
    });
  }
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.uiPort === null ? null : `http://localhost:${options.uiPort}`,
    process,
    stop: () => process.stop(),
  };
}
