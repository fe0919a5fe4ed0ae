/**
 * A fleet of real crawl processes on one PostgreSQL database, over a multi-host site that records
 * politeness on the server side, for fault tests (clock skew, stalls, outages, a dying seeder).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import pg from 'pg';
import { seedFile, startCli, type CliResult } from './cli.js';
import type { HostStats } from './multi-host-site.js';

/** libfaketime, preloaded to move a worker's clock (Debian package faketime); undefined when missing. */
export const FAKETIME_LIB = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1']
  .find((p) => fs.existsSync(p));

/** Environment that runs a process `offset` away from the true time ('+60s', '-60s'). */
export function skewed(offset: string): Record<string, string> {
  if (!FAKETIME_LIB) throw new Error('libfaketime not found: apt-get install -y faketime');
  return { LD_PRELOAD: FAKETIME_LIB, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

export interface Worker {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** Lease settings of the fault tests: short, so that faults outlast them in seconds. */
export const SHORT_LEASE = ['--lease', '6s', '--heartbeat', '1s'];

/** Starts the run's first worker (with the seeds) and waits until the run exists. */
export async function startFirst(db: string, dir: string, origins: string[], args: string[], env: Record<string, string> = {}): Promise<Worker> {
  const seeds = seedFile(dir, origins.map((o) => o + '/'), `seeds-${Date.now()}.txt`);
  const w = startCli(['--urls', seeds, '--db', db, ...SHORT_LEASE, '--no-progress', '--log-format', 'json', ...args], { env });
  await until(async () => (await sql<{ n: number }>(db, 'SELECT count(*)::int AS n FROM run_workers').catch(() => [{ n: 0 }]))[0].n > 0, 'the run starts');
  return w;
}

/** Starts a worker joining the run. */
export function startWorker(db: string, env: Record<string, string> = {}): Worker {
  return startCli(['worker', '--db', db, '--log-format', 'json'], { env });
}

/** The JSON summary a worker printed. */
export function summaryOf(r: CliResult): Record<string, unknown> {
  const line = (r.stdout + '\n' + r.stderr).split('\n').find((l) => l.includes('"event":"summary"'));
  if (!line) throw new Error(`no summary in the output (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

export async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(url);
  c.on('error', () => {});
  await c.connect();
  try { return (await c.query(text, params)).rows as T[]; } finally { await c.end().catch(() => {}); }
}

/** Polls `cond` every 25 ms for up to `ms`. */
export async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Requests started on any host between two performance.now() times. */
export function startsBetween(hosts: HostStats[], from: number, to: number): number {
  return hosts.reduce((n, h) => n + h.starts.filter((t) => t >= from && t <= to).length, 0);
}
