/**
 * Headless Chromium driven over the DevTools protocol (CDP), for tests that must see a page as a
 * browser renders it. A small client over undici's WebSocket (Node 20 has no global one): launch
 * with --remote-debugging-port=0, read the endpoint from stderr, open a page target in flat
 * session mode, and collect console errors, exceptions, log errors and dialogs as they happen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'undici';

/** Names the system Chromium goes by (Debian: chromium). */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The Chromium executable: $CHROMIUM, else the first of {@link NAMES} on PATH; undefined when none. */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of NAMES) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch { /* not here */ }
    }
  }
  return undefined;
}

type Listener = (params: Record<string, unknown>) => void;

/** One page target, attached in flat mode. */
export interface CdpPage {
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Resolves with the params of the next `event` on this page. */
  once(event: string): Promise<Record<string, unknown>>;
  /** Errors seen so far: console.error/assert, uncaught exceptions, log entries at level error, dialogs. */
  errors: string[];
  /** Evaluates `expression` (awaiting a promise) and returns its value by JSON. */
  evaluate<T>(expression: string): Promise<T>;
}

/** A running headless Chromium. */
export interface Browser {
  newPage(): Promise<CdpPage>;
  close(): Promise<void>;
}

/** Starts headless Chromium (`--no-sandbox` when running as root, which the sandbox refuses). */
export async function launchChromium(executable: string): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'crawl-chromium-'));
  const args = [
    '--headless', '--disable-gpu', '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--no-first-run',
    '--no-default-browser-check', '--disable-extensions', '--disable-dev-shm-usage', '--hide-scrollbars',
    '--force-color-profile=srgb', '--force-device-scale-factor=1', 'about:blank',
  ];
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  // Its own process group, so close() can end the renderer and GPU helpers with it.
  const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools endpoint in 60 s:\n${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`chromium exited with ${code} before it listened:\n${err}`)); });
  });
  child.stderr!.resume();
  const ws = new WebSocket(endpoint);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot connect to ${endpoint}`)), { once: true });
  });

  let nextId = 1;
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  const listeners = new Map<string, Set<Listener>>(); // key: sessionId + ' ' + event
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p?.resolve(msg.result ?? {});
    } else if (msg.method) {
      for (const fn of listeners.get(`${msg.sessionId ?? ''} ${msg.method}`) ?? []) fn(msg.params ?? {});
    }
  });
  // A browser that dies fails every call in flight instead of leaving the test waiting.
  ws.addEventListener('close', () => {
    for (const p of pending.values()) p.reject(new Error(`${p.method}: the DevTools connection closed (did chromium crash?)`));
    pending.clear();
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> =>
    new Promise((resolve, reject) => {
      if (ws.readyState !== WebSocket.OPEN) { reject(new Error(`${method}: the DevTools connection is closed`)); return; }
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: Record<string, unknown>) => void, reject, method });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  const on = (sessionId: string, event: string, fn: Listener): (() => void) => {
    const key = `${sessionId} ${event}`;
    if (!listeners.has(key)) listeners.set(key, new Set());
    listeners.get(key)!.add(fn);
    return () => listeners.get(key)!.delete(fn);
  };

  return {
    async newPage() {
      const { targetId } = await send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
      const errors: string[] = [];
      on(sessionId, 'Runtime.consoleAPICalled', (p) => {
        if (p.type === 'error' || p.type === 'assert') errors.push(`console.${String(p.type)}: ${JSON.stringify(p.args)}`);
      });
      on(sessionId, 'Runtime.exceptionThrown', (p) => errors.push(`exception: ${JSON.stringify(p.exceptionDetails)}`));
      on(sessionId, 'Log.entryAdded', (p) => {
        const e = p.entry as { level: string; text: string; url?: string };
        if (e.level === 'error') errors.push(`log: ${e.text}${e.url ? ` (${e.url})` : ''}`);
      });
      on(sessionId, 'Page.javascriptDialogOpening', (p) => {
        errors.push(`dialog: ${String(p.message)}`);
        void send('Page.handleJavaScriptDialog', { accept: false }, sessionId);
      });
      const page: CdpPage = {
        errors,
        send: (method, params) => send(method, params, sessionId),
        once: (event) => new Promise((resolve) => { const off = on(sessionId, event, (p) => { off(); resolve(p); }); }),
        async evaluate<T>(expression: string): Promise<T> {
          const r = await send<{ result: { value?: unknown }; exceptionDetails?: unknown }>(
            'Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
          if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
          return r.result.value as T;
        },
      };
      await Promise.all(['Page.enable', 'Runtime.enable', 'Log.enable'].map((m) => page.send(m)));
      return page;
    },
    async close() {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
      await Promise.race([send('Browser.close').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
      ws.close();
      const timer = setTimeout(() => killGroup(child), 5000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Ends the browser's process group (the browser and its helpers), ignoring one that is gone. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch { /* already gone */ }
}
