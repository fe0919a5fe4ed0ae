/** Runs the real CLI (bin/crawl.js) as a child process, as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BIN = fileURLToPath(new URL('../../../bin/crawl.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Starts the CLI; `done` resolves when it exits. */
export function startCli(args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; });
  if (opts.input !== undefined) child.stdin!.end(opts.input); else child.stdin!.end();
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A fresh temp dir, removed by the caller's cleanup. */
export function tempDir(prefix = 'crawl-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes a seed file and returns its path. */
export function seedFile(dir: string, urls: string[], name = 'seeds.txt'): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, urls.join('\n') + '\n');
  return f;
}

/** Options every test crawl uses: fast, no politeness delay, loopback allowed as seeds are. */
export const FAST = ['--delay', '0ms', '--per-host', '8', '--concurrency', '16', '--no-progress', '--retry-delay', '50ms'];
