/**
 * A browser's memory, as the pool's cap measures it: the summed PSS (proportional set size: shared
 * pages divided among the processes sharing them) of its process tree, read from /proc. Linux only;
 * elsewhere the cap is not applied (null).
 */
import fs from 'node:fs';

/** Direct children of this process that run Chromium. */
export function chromiumChildren(): Set<number> {
  const out = new Set<number>();
  let names: string[];
  try { names = fs.readdirSync('/proc'); } catch { return out; }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      if (/chrom/i.test(fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')[0])) out.add(Number(name));
    } catch { /* exited while listed */ }
  }
  return out;
}

/** Summed PSS in MB of `root` and its descendants; null when /proc cannot tell. */
export function treePssMb(root: number): number | null {
  let names: string[];
  try { names = fs.readdirSync('/proc'); } catch { return null; }
  const parent = new Map<number, number>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited */ }
  }
  if (!parent.has(root)) return null;
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, pp] of parent) if (tree.has(pp) && !tree.has(pid)) { tree.add(pid); grew = true; }
  }
  let kb = 0;
  for (const pid of tree) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* exited */ }
  }
  return kb / 1024;
}
