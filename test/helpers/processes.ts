/**
 * The process tree of this machine from /proc: descendants of a process (the crawler's browsers),
 * whether pids still live, and their summed proportional memory (PSS), for leak tests and the soak.
 */
import fs from 'node:fs';

interface Proc { pid: number; ppid: number; cmd: string }

function list(): Proc[] {
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(name), ppid, cmd });
    } catch { /* exited while listed */ }
  }
  return out;
}

/** Every live descendant of `pid`. */
export function descendants(pid: number): Proc[] {
  const all = list();
  const out: Proc[] = [];
  const want = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) if (want.has(p.ppid) && !want.has(p.pid)) { want.add(p.pid); out.push(p); grew = true; }
  }
  return out;
}

/** Chromium processes among the descendants of `pid`. */
export function chromiumUnder(pid: number): Proc[] {
  return descendants(pid).filter((p) => /chrom/i.test(p.cmd.split(' ')[0]));
}

/**
 * Those of `pids` (Chromium processes) still alive. Zombies count as gone (they hold no memory and
 * run nothing), and so does a pid now running something else: pids are reused quickly on a busy
 * machine (pid_max is often 32768).
 */
export function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return false;
      return /chrom/i.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]);
    } catch {
      return false;
    }
  });
}

/** Waits until none of `pids` lives, up to `ms`; returns those still alive. */
export async function waitGone(pids: number[], ms = 30_000): Promise<number[]> {
  const end = Date.now() + ms;
  let left = alive(pids);
  while (left.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    left = alive(left);
  }
  return left;
}

/** Summed PSS (kB) of `pids`, from /proc/PID/smaps_rollup. */
export function pssKb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* exited */ }
  }
  return kb;
}
