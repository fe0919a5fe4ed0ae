/** The render stage's contract: a fetched HTML response in, the DOM a browser built from it out. */
import type { ErrorCode } from '../errors.js';

/** --render: never (default), auto (pages whose HTML looks script-built), always. */
export type RenderMode = 'never' | 'auto' | 'always';

/** Why a page was rendered, as stored in pages.rendered: the auto signal that fired, or 'always'. */
export type RenderReason = 'always' | `auto:${string}`;

/** Resource types the browser may fetch only when --render-fetch names them. */
export const OPTIONAL_TYPES = ['image', 'media', 'font'] as const;
export type OptionalType = (typeof OPTIONAL_TYPES)[number];

/** Settings of the render stage, taken from ResolvedOptions. */
export interface RenderSettings {
  mode: RenderMode;
  /** Chromium executable (--browser, or found on PATH). */
  executable: string;
  /** Pages rendered at once (all browsers together). */
  concurrency: number;
  /** Wall-clock cap for one render: navigation, scripts and the settle wait. */
  timeoutMs: number;
  /** Optional resource types the page may fetch (none by default). */
  fetchTypes: OptionalType[];
}

/** Per-page budgets and pool sizes; constants, documented in README "JavaScript pages". */
export const LIMITS = {
  /** Sub-requests one page may make; later ones are refused. */
  subRequests: 150,
  /** Bytes of sub-resources one page may receive. */
  subBytes: 16 * 1024 * 1024,
  /** Pages rendered at once in one browser. */
  pagesPerBrowser: 4,
  /** Pages of one host that share a browser context before it is replaced by a fresh one. */
  contextPages: 20,
  /** A browser is retired (closed, replaced) after this many pages: its memory is returned. */
  retireAfter: 100,
  /** A browser whose process tree holds more (summed PSS, MB) is retired; measured every `memoryEvery` pages. */
  browserMemoryMb: 1024,
  memoryEvery: 10,
  /** Bytes of scripts and stylesheets the per-run cache holds. */
  cacheBytes: 32 * 1024 * 1024,
  /** After `load`: settled when at most `idleOpen` requests are open for `idleMs`, or after `settleCapMs`. */
  idleOpen: 2,
  idleMs: 500,
  settleCapMs: 5000,
} as const;

/** What one render produced. Never thrown: failures are data, with a stable code. */
export type RenderResult =
  | { ok: true; html: Buffer; subRequests: number; subBytes: number; refused: number }
  | { ok: false; code: ErrorCode; message: string };
