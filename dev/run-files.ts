// Pid files of the processes the start command runs (.data/run/<name>.pid), so that what a killed run
// left behind is recognised and stopped by the next run (stopLeftovers) or at once by the watchdog
// (startWatchdog), instead of holding its port with no one to say whose it is.
//
// A file has one field per line, so the watchdog's shell can read it: pid, stop signal, stop target
// (group or process), name, and the command line as JSON (to tell the process from one that reused its pid).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface RunFile {
  name: string;
  pid: number;
  commandLine: string[];
  stopSignal: NodeJS.Signals;
  stopTarget: 'group' | 'process';
}

function runFilePath(runDirectory: string, name: string): string {
  return path.join(runDirectory, `${name.replace(/[^a-zA-Z0-9-]/g, '-')}.pid`);
}

export function writeRunFile(runDirectory: string, file: RunFile): void {
  mkdirSync(runDirectory, { recursive: true });
  const lines = [file.pid, file.stopSignal, file.stopTarget, file.name, JSON.stringify(file.commandLine)];
  writeFileSync(runFilePath(runDirectory, file.name), `${lines.join('\n')}\n`);
}

export function removeRunFile(runDirectory: string, name: string): void {
  rmSync(runFilePath(runDirectory, name), { force: true });
}

function readRunFile(file: string): RunFile | null {
  const [pid, stopSignal, stopTarget, name, commandLine] = readFileSync(file, 'utf8').split('\n');
  if (!pid || !/^\d+$/.test(pid) || !name || !commandLine) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(commandLine);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) return null;
  const signal = /^SIG[A-Z]+$/.test(stopSignal ?? '') ? (stopSignal as NodeJS.Signals) : 'SIGTERM';
  return { pid: Number(pid), stopSignal: signal, stopTarget: stopTarget === 'process' ? 'process' : 'group', name, commandLine: parsed };
}

/** The command line of a running process, or null when there is none with that pid. */
function commandLineOf(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
  } catch {
    return null;
  }
}

/** Whether the pid still runs the command the file recorded (and not a process that reused the pid). */
function stillRuns(file: RunFile): boolean {
  const commandLine = commandLineOf(file.pid);
  return commandLine !== null && commandLine.length === file.commandLine.length && commandLine.every((part, index) => part === file.commandLine[index]);
}

/** Whether the process runs: a zombie (ended, not yet reaped by a parent that may never reap it) does not. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

/** How long a leftover gets to stop after its stop signal, before SIGKILL. */
const leftoverStopTimeoutMilliseconds = 10_000;

async function stopLeftover(file: RunFile): Promise<void> {
  const target = file.stopTarget === 'group' ? -file.pid : file.pid;
  try {
    process.kill(target, file.stopSignal);
  } catch {
    return;
  }
  const deadline = Date.now() + leftoverStopTimeoutMilliseconds;
  while (isRunning(file.pid)) {
    if (Date.now() > deadline) {
      process.kill(file.pid, 'SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Stops what an earlier run left running (it was killed before it could stop its children) and says
 * so, one line each; returns the names stopped. A pid file whose process is gone is just removed.
 */
export async function stopLeftovers(runDirectory: string, say: (line: string) => void): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(runDirectory).filter((name) => name.endsWith('.pid'));
  } catch {
    return [];
  }
  const stopped: string[] = [];
  for (const name of names) {
    const location = path.join(runDirectory, name);
    const file = readRunFile(location);
    if (file !== null && stillRuns(file)) {
      say(`stopping ${file.name} (pid ${file.pid}), left running by an earlier npm start that was killed`);
      await stopLeftover(file);
      stopped.push(file.name);
    }
    rmSync(location, { force: true });
  }
  return stopped;
}

/**
 * The watchdog's script: waits for the start command to end, and when it ended without stopping its
 * children (it was killed), sends each the stop signal of its pid file, and SIGKILL to what is still
 * there 10 s later. A shell loop, a megabyte of memory.
 */
const watchdogScript = `
parent=$1; folder=$2
while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
targets=
for file in "$folder"/*.pid; do
  [ -f "$file" ] || continue
  { read -r pid; read -r signal; read -r target; } < "$file"
  case "$pid" in ''|*[!0-9]*) continue ;; esac
  if [ "$target" = group ]; then target="-$pid"; else target="$pid"; fi
  kill -s "\${signal#SIG}" -- "$target" 2>/dev/null && targets="$targets $target"
done
# What has not stopped after 10 s is killed.
for attempt in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  left=
  for target in $targets; do kill -0 -- "$target" 2>/dev/null && left="$left $target"; done
  [ -z "$left" ] && exit 0
  sleep 0.5
done
for target in $left; do kill -s KILL -- "$target" 2>/dev/null; done
`;

/**
 * Starts the watchdog of this process's children: it outlives a kill -9 of this process (its own
 * process group) and stops them then. Returns its stop function for a normal exit.
 */
export function startWatchdog(runDirectory: string): () => void {
  const watchdog = spawn('sh', ['-c', watchdogScript, 'refill-watchdog', String(process.pid), runDirectory], {
    stdio: 'ignore',
    detached: true,
  });
  watchdog.unref();
  return () => {
    try {
      if (watchdog.pid !== undefined) process.kill(-watchdog.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
}
