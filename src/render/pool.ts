/**
 * A bounded pool of browsers. At most `concurrency` pages render at once, LIMITS.pagesPerBrowser per
 * browser. Pages of one host share a browser context (cookies, storage) for LIMITS.contextPages
 * pages, then get a fresh one (the old one closes with its last page, and the memory its pages
 * held goes with it); a new page in a known context costs about half of one in a new context
 * (measured: ~90 vs ~160 ms). A browser is retired after LIMITS.retireAfter pages and closed once
 * its last page ends, or sooner when its process tree holds more than LIMITS.browserMemoryMb
 * (summed PSS, measured every LIMITS.memoryEvery pages). A render that outlives its timeout has its page closed (the browser killed
 * if that hangs) and its slot freed; a browser that crashes or disconnects is dropped and replaced
 * at the next render.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './launch.js';
import { LIMITS } from './types.js';
import { chromiumChildren, treePssMb } from './memory.js';

/** A render's work inside its page; `signal` aborts when the render timed out or the pool closes. */
export type PageTask<T> = (page: Page, signal: AbortSignal) => Promise<T>;

/** Why a pooled render failed: its time ran out, or the browser went away under it. */
export class RenderAbort extends Error {
  constructor(readonly kind: 'timeout' | 'crash' | 'closed', message: string) {
    super(message);
  }
}

/** A context shared by one host's pages, until it has served LIMITS.contextPages. */
interface HostContext {
  context: Promise<BrowserContext>;
  served: number;
  active: number;
}

interface Slot {
  browser: Browser;
  /** The browser's main process (for its memory), when it could be told apart. */
  pid: number | null;
  contexts: Map<string, HostContext>;
  active: number;
  served: number;
  retiring: boolean;
  dead: boolean;
}

export class BrowserPool {
  private readonly slots: Slot[] = [];
  private launching: Promise<Slot> | null = null;
  private readonly waiters: (() => void)[] = [];
  private running = 0;
  private closed = false;
  /** Browsers started and retired this run (for the summary and tests). */
  launched = 0;
  retired = 0;

  constructor(
    private readonly executable: string, private readonly concurrency: number,
    /** The memory cap; tests lower it. */
    private readonly memory = { capMb: LIMITS.browserMemoryMb as number, every: LIMITS.memoryEvery as number },
  ) {}

  /** Runs `task` in a fresh context of a pooled browser, within `timeoutMs`. */
  async run<T>(host: string, timeoutMs: number, stop: AbortSignal | undefined, task: PageTask<T>): Promise<T> {
    await this.acquire();
    let slot: Slot | undefined;
    let hc: HostContext | undefined;
    let page: Page | undefined;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onStop: (() => void) | undefined;
    let onGone: (() => void) | undefined;
    try {
      slot = await this.pick();
      slot.active++;
      slot.served++;
      if (slot.served >= LIMITS.retireAfter) slot.retiring = true;
      if (slot.pid !== null && slot.served % this.memory.every === 0 && (treePssMb(slot.pid) ?? 0) > this.memory.capMb) slot.retiring = true;
      const s = slot;
      const h = hc = this.contextFor(s, host);
      const work = (async () => {
        const p = await (await h.context).newPage();
        // A page that opened after its render gave up (timeout, stop) is closed, not left behind.
        if (abort.signal.aborted) { void p.close().catch(() => {}); throw new RenderAbort('closed', 'the render ended before its page opened'); }
        page = p;
        return task(p, abort.signal);
      })();
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RenderAbort('timeout', `render took longer than ${timeoutMs} ms`)), timeoutMs);
      });
      // The crawl's hard stop (its grace period spent): the render is abandoned, like a fetch.
      const stopped = new Promise<never>((_, reject) => {
        onStop = () => reject(new RenderAbort('closed', 'the crawl stopped'));
        if (stop?.aborted) onStop(); else stop?.addEventListener('abort', onStop, { once: true });
      });
      stopped.catch(() => {});
      const gone = new Promise<never>((_, reject) => {
        if (!s.browser.isConnected()) reject(new RenderAbort('crash', 'the browser is gone'));
        onGone = () => reject(new RenderAbort(this.closed ? 'closed' : 'crash', 'the browser crashed or was closed during the render'));
        s.browser.once('disconnected', onGone);
      });
      work.catch(() => {}); // settles after the race was lost: its error is not news
      try {
        return await Promise.race([work, deadline, gone, stopped]);
      } catch (err) {
        if (!s.browser.isConnected()) throw new RenderAbort(this.closed ? 'closed' : 'crash', `the browser went away: ${(err as Error).message}`);
        throw err;
      }
    } finally {
      clearTimeout(timer);
      if (onStop) stop?.removeEventListener('abort', onStop);
      if (onGone) slot?.browser.off('disconnected', onGone);
      abort.abort();
      if (slot) await this.release(slot, host, hc, page);
      this.running--;
      this.waiters.shift()?.();
    }
  }

  /** Closes every browser; renders in flight fail with RenderAbort('closed'). */
  async close(): Promise<void> {
    this.closed = true;
    const launching = this.launching;
    if (launching) await launching.then((s) => this.slots.includes(s) || this.slots.push(s), () => {});
    await Promise.all(this.slots.splice(0).map((s) => this.shut(s)));
    for (const w of this.waiters.splice(0)) w();
  }

  /** Pages rendering now, browsers open now. */
  get stats(): { running: number; browsers: number } {
    return { running: this.running, browsers: this.slots.length };
  }

  private async acquire(): Promise<void> {
    while (this.running >= this.concurrency && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    if (this.closed) throw new RenderAbort('closed', 'the render pool is closed');
    this.running++;
  }

  /** A live browser with a free page slot: an open one, or a new one. */
  private async pick(): Promise<Slot> {
    for (;;) {
      if (this.closed) throw new RenderAbort('closed', 'the render pool is closed');
      const free = this.slots.find((s) => !s.dead && !s.retiring && s.active < LIMITS.pagesPerBrowser);
      if (free) return free;
      if (!this.launching) {
        this.launching = this.launch().finally(() => { this.launching = null; });
      }
      await this.launching.catch((err) => { throw new RenderAbort('crash', `cannot start the browser: ${(err as Error).message}`); });
    }
  }

  private async launch(): Promise<Slot> {
    const before = chromiumChildren();
    const browser = await launchChromium(this.executable);
    this.launched++;
    // Launches are one at a time: the new Chromium child of this process is this browser.
    const fresh = [...chromiumChildren()].filter((p) => !before.has(p));
    const slot: Slot = { browser, pid: fresh.length === 1 ? fresh[0] : null, contexts: new Map(), active: 0, served: 0, retiring: false, dead: false };
    browser.once('disconnected', () => {
      slot.dead = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
    });
    if (this.closed) { await browser.close().catch(() => {}); throw new RenderAbort('closed', 'the render pool is closed'); }
    this.slots.push(slot);
    return slot;
  }

  /** The host's context in this browser: the current one, or a fresh one when it has served enough. */
  private contextFor(slot: Slot, host: string): HostContext {
    let hc = slot.contexts.get(host);
    if (!hc || hc.served >= LIMITS.contextPages) {
      hc = { context: slot.browser.newContext({ serviceWorkers: 'block' }), served: 0, active: 0 };
      hc.context.catch(() => {});
      slot.contexts.set(host, hc);
    }
    hc.served++;
    hc.active++;
    return hc;
  }

  /**
   * Ends a render's page, and its context once it is done with (replaced, or idle for good); a page
   * that will not close takes its browser with it.
   */
  private async release(slot: Slot, host: string, hc: HostContext | undefined, page: Page | undefined): Promise<void> {
    slot.active--;
    if (hc) hc.active--;
    if (slot.browser.isConnected()) {
      const replaced = hc && slot.contexts.get(host) !== hc;
      const ok = await settles(page?.close());
      if (!ok) slot.retiring = slot.dead = true;
      else if (hc && hc.active === 0 && (replaced || hc.served >= LIMITS.contextPages)) {
        if (!replaced) slot.contexts.delete(host);
        if (!(await settles(hc.context.then((c) => c.close())))) slot.retiring = slot.dead = true;
      }
    }
    if ((slot.retiring || slot.dead) && slot.active === 0) {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      this.retired++;
      await this.shut(slot);
    }
  }

  /** Closes a browser; if it does not answer, Playwright's close kills its process. */
  private async shut(slot: Slot): Promise<void> {
    slot.dead = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([slot.browser.close().catch(() => {}), new Promise<void>((r) => { timer = setTimeout(r, 10_000); })]);
    clearTimeout(timer);
  }
}

/** Whether `p` settles within 5 s (a page or context that does not close in that time is stuck). */
async function settles(p: Promise<unknown> | undefined): Promise<boolean> {
  if (!p) return true;
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), 5000); });
  const ok = await Promise.race([p.then(() => true, () => true), stuck]);
  clearTimeout(timer);
  return ok;
}
