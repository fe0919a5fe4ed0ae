/**
 * Runs a command and measures it from the outside, the same way for every tool:
 * wall time, CPU seconds and peak RSS of the whole process tree (Linux /proc).
 *
 * CPU: the child's user+sys is taken from this process's own cutime/cstime (/proc/self/stat),
 * which the kernel adds the child (and every descendant it waited for) to when the child is
 * reaped, so nothing is lost between two polls; a /proc poll of the live tree is the fallback
 * for descendants that were never waited for. Peak RSS: the sum of VmRSS over the tree,
 * polled every 50 ms (threads share their process's RSS, so worker threads are included).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** What measure() learned about one run. */
export interface RunResult {
  wallMs: number;
  /** user + sys CPU seconds of the process tree. */
  cpuS: number;
  /** Peak of the summed VmRSS of the process tree, in MiB. */
  peakRssMb: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last 256 KiB of each stream. */
  stdout: string;
  stderr: string;
}

/** Options of measure(). */
export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the process group after this long. @default 30 min */
  timeoutMs?: number;
  /** Poll interval of /proc. @default 50 */
  pollMs?: number;
}

const TAIL = 256 * 1024;
let clkTck = 0;

function ticksPerSecond(): number {
  if (!clkTck) {
    try { clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { clkTck = 100; }
  }
  return clkTck;
}

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, ..., utime=11, stime=12, cutime=13, cstime=14]. */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process is gone
  }
}

/** CPU ticks of the processes (own + waited-for children). */
function cpuTicks(pid: number | 'self', withChildren = true): number {
  const f = statFields(pid);
  if (!f) return 0;
  return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
}

/** The process and all its live descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const f = statFields(pid);
    if (!f) continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid);
    if (list) list.push(pid); else children.set(ppid, [pid]);
  }
  const out = [root];
  for (let k = 0; k < out.length; k++) out.push(...(children.get(out[k]) ?? []));
  return out;
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Spawns `cmd args` in its own process group and measures it until it exits. */
export function measure(cmd: string, args: string[], opts: MeasureOptions = {}): Promise<RunResult> {
  const hz = ticksPerSecond();
  const cpuBefore = cpuTicks('self') - cpuTicks('self', false);
  const started = performance.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout = (stdout + d).slice(-TAIL); });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-TAIL); });
  let peakKb = 0;
  let polledTicks = 0;
  const poll = () => {
    if (child.pid === undefined) return;
    let kb = 0;
    let ticks = 0;
    for (const pid of processTree(child.pid)) {
      kb += rssKb(pid);
      ticks += cpuTicks(pid);
    }
    peakKb = Math.max(peakKb, kb);
    polledTicks = Math.max(polledTicks, ticks);
  };
  const timer = setInterval(poll, opts.pollMs ?? 50);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
  }, opts.timeoutMs ?? 30 * 60_000);
  poll();
  return new Promise((resolve, reject) => {
    child.on('error', (err) => { clearInterval(timer); clearTimeout(killer); reject(err); });
    child.on('close', (exitCode, signal) => {
      clearInterval(timer);
      clearTimeout(killer);
      const wallMs = performance.now() - started;
      const reaped = cpuTicks('self') - cpuTicks('self', false) - cpuBefore;
      resolve({
        wallMs, cpuS: Math.max(reaped, polledTicks) / hz, peakRssMb: peakKb / 1024,
        exitCode, signal, timedOut, stdout, stderr,
      });
    });
  });
}
