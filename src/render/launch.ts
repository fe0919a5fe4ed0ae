/**
 * Starts one headless Chromium through playwright-core. Playwright talks to it over a pipe
 * (--remote-debugging-pipe), not a port: when the crawler's process dies, even by SIGKILL, the pipe
 * closes and Chromium shuts itself down, so no browser outlives the crawl. Its own signal handlers
 * are off: the crawler decides when the browser closes (a graceful stop lets renders finish).
 */
import { chromium, type Browser } from 'playwright-core';

/**
 * Flags: no background connections (updates, sync, field trials: this browser has no network of its
 * own), no QUIC, and every request the page makes goes to a proxy that does not exist, so one that
 * escaped interception fails instead of reaching the network.
 */
export const CHROMIUM_ARGS = [
  '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--disable-extensions',
  '--proxy-server=http://127.0.0.1:9', '--proxy-bypass-list=<-loopback>',
];

/** Launches Chromium (a new empty profile each time, removed by Playwright when it closes). */
export async function launchChromium(executable: string, timeoutMs = 60_000): Promise<Browser> {
  const args = [...CHROMIUM_ARGS];
  // As root the sandbox refuses to start; the renderer's isolation then rests on the empty network.
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({
    executablePath: executable, headless: true, args, timeout: timeoutMs,
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  });
}
