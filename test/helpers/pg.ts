/**
 * A throwaway PostgreSQL 15 cluster for the tests: initdb in a temp dir, started on a free port on
 * 127.0.0.1 with fsync off, one database created; stopped and removed when the test file ends. One
 * cluster per test file (starting one takes ~6 s). Where no PostgreSQL is installed the tests that
 * need it are skipped with a loud message, and fail when CI=true (never a silent pass).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/**
 * Where the Debian/Ubuntu packages put the server binaries: 15 (the machine image) first, then any
 * other installed major version, newest first (`apt-get install postgresql` brings the release's own).
 */
const BIN_DIRS = ['/usr/lib/postgresql/15/bin', ...installedMajors().map((v) => `/usr/lib/postgresql/${v}/bin`)];

function installedMajors(): string[] {
  try {
    return fs.readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v) && v !== '15').sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

export interface PgCluster {
  /** postgres://… URL of the test database (no password: trust authentication on loopback). */
  url: string;
  /** A URL to another, new, empty database of the same cluster. */
  newDatabase(): string;
  /** The cluster's data directory (postmaster.pid holds the server's pid). */
  dataDir: string;
  /** Restarts the server (`pg_ctl restart -m fast`: open connections are cut), without blocking the event loop. */
  restart(): Promise<void>;
  /** Stops the server (`-m fast`), for an outage; `start()` brings it back with the same settings. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** The directory holding initdb and pg_ctl, or undefined. */
export function findPgBin(): string | undefined {
  return BIN_DIRS.find((d) => fs.existsSync(path.join(d, 'initdb')) && fs.existsSync(path.join(d, 'pg_ctl')));
}

let shared: Promise<PgCluster | undefined> | undefined;

/**
 * The test file's cluster (started on first call, stopped after the file), or undefined with a
 * message on stderr when PostgreSQL is missing. Throws when CI=true and it is missing. Call it at
 * the top level of a test file (`const pg = await pgCluster()`), so its cleanup belongs to the file.
 */
export function pgCluster(opts: { preload?: string } = {}): Promise<PgCluster | undefined> {
  shared ??= start(opts.preload);
  return shared;
}

async function start(preload?: string): Promise<PgCluster | undefined> {
  const bin = findPgBin();
  if (!bin) {
    const msg = `PostgreSQL server binaries (initdb, pg_ctl) not found in ${BIN_DIRS.join(', ')}; ` +
      'install them with `apt-get install -y postgresql`';
    if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: the PostgreSQL tests must run)`);
    process.stderr.write(`\n!!! SKIPPING PostgreSQL tests: ${msg} !!!\n\n`);
    return undefined;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crawl-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root: as root the cluster belongs to the postgres user.
  const run = (cmd: string, args: string[]) => asRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe' })
    : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe' });
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  fs.chmodSync(dir, 0o700);
  const port = await freePort();
  const serverOpts = () => `-c listen_addresses=127.0.0.1 -p ${port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c unix_socket_directories=${dir} -c max_connections=200${preload ? ` -c shared_preload_libraries=${preload}` : ''}`;
  const stop = () => {
    try { run('pg_ctl', ['-w', '-D', data, '-m', 'immediate', 'stop']); } catch { /* not running */ }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-A', 'trust', '-E', 'UTF8', '--no-sync', '-U', 'postgres', '-D', data]);
    run('pg_ctl', ['-w', '-D', data, '-l', path.join(dir, 'log'), '-o', serverOpts(), 'start']);
  } catch (err) {
    const log = fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8') : '';
    stop();
    throw new Error(`could not start a PostgreSQL test cluster: ${(err as Error).message}\n${log}`);
  }
  after(stop);
  process.once('exit', stop);
  let n = 0;
  const newDatabase = () => {
    const name = `crawl_test_${++n}`;
    run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name]);
    return `postgres://postgres@127.0.0.1:${port}/${name}`;
  };
  const ctl = (args: string[]) => new Promise<void>((resolve, reject) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), ...args]] : [path.join(bin, 'pg_ctl'), args];
    execFile(cmd as string, argv as string[], (err) => (err ? reject(err) : resolve()));
  });
  const log = path.join(dir, 'log');
  return {
    url: newDatabase(), newDatabase, dataDir: data,
    restart: () => ctl(['-w', '-D', data, '-l', log, '-m', 'fast', 'restart']),
    stop: () => ctl(['-w', '-D', data, '-m', 'fast', 'stop']),
    start: () => ctl(['-w', '-D', data, '-l', log, '-o', serverOpts(), 'start']),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
