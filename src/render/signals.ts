/**
 * auto's cheap signals, read from the HTML as fetched before it is parsed (well under 2 ms for a
 * typical page: a few regular-expression passes over at most the first 256 KiB). After StormCrawler's
 * JsRenderingDetector: an empty mount root (#root, #app, #__next, #__nuxt), a <noscript> asking for
 * JavaScript, thin text with scripts; framework markers count only together with thin text, because
 * server-rendered Next, Nuxt or hydrated pages carry the same markers and are complete without a browser.
 */

/** What the fetched HTML looks like. */
export interface Signals {
  emptyRoot: boolean;
  noscriptJs: boolean;
  scripts: number;
  /** Visible text characters, roughly (tags, scripts, styles and comments removed). */
  textChars: number;
  /** <a href> elements. */
  links: number;
  /** Markers of a JavaScript framework (hydration data, React/Vue/Angular attributes). */
  markers: boolean;
}

/** Text under this many characters is thin. */
export const THIN_TEXT = 200;
const SCAN_BYTES = 256 * 1024;

const EMPTY_ROOT = /<(?:div|main|section|body)\b[^>]*\bid\s*=\s*["']?(?:root|app|__next|__nuxt|svelte|main-app)["']?[^>]*>\s*<\/(?:div|main|section|body)>/i;
const NOSCRIPT = /<noscript\b[^>]*>([\s\S]{0,2000}?)<\/noscript>/gi;
const ASKS_FOR_JS = /\b(?:enable|turn on|requires?|need|activate|allow)\b[\s\S]{0,40}\bjavascript\b|\bjavascript\b[\s\S]{0,40}\b(?:required|disabled|enabled|needed)\b/i;
const MARKERS = /__NEXT_DATA__|__NUXT__|data-reactroot|data-server-rendered|data-v-app|ng-version|data-hk=|<!--\[-->|__PRELOADED_STATE__/i;
const HIDDEN = /<script\b[\s\S]*?<\/script\s*>|<style\b[\s\S]*?<\/style\s*>|<noscript\b[\s\S]*?<\/noscript\s*>|<template\b[\s\S]*?<\/template\s*>|<!--[\s\S]*?-->|<head\b[\s\S]*?<\/head\s*>/gi;

/** Reads the signals of one HTML body. */
export function scoreHtml(body: Uint8Array): Signals {
  const bytes = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, SCAN_BYTES));
  const html = bytes.toString('latin1'); // markup is ASCII; text is only measured
  let noscriptJs = false;
  for (const m of html.matchAll(NOSCRIPT)) if (ASKS_FOR_JS.test(m[1])) { noscriptJs = true; break; }
  const visible = html.replace(HIDDEN, ' ').replace(/<[^>]*>/g, ' ').replace(/&[a-z#0-9]+;/gi, 'x').replace(/\s+/g, ' ').trim();
  return {
    emptyRoot: EMPTY_ROOT.test(html),
    noscriptJs,
    scripts: html.match(/<script\b/gi)?.length ?? 0,
    textChars: visible.length,
    links: html.match(/<a\b[^>]*\bhref\s*=/gi)?.length ?? 0,
    markers: MARKERS.test(html),
  };
}

/** The signal that says this page needs a browser, or null. */
export function signalOf(s: Signals): string | null {
  if (s.scripts === 0) return null; // nothing could build the page
  if (s.emptyRoot) return 'empty-root';
  const thin = s.textChars < THIN_TEXT;
  if (s.noscriptJs && thin) return 'noscript';
  if (thin && s.links < 2) return 'thin';
  if (thin && s.markers) return 'markers';
  return null;
}
