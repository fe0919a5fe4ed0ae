/** Small, pure decisions on responses: is it HTML, what do robots directives say. */

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/**
 * Whether a body should go to the HTML parser. A declared HTML type is trusted; a missing,
 * text/plain or application/octet-stream type is sniffed for an HTML start (servers mislabel).
 */
export function looksLikeHtml(contentType: string | null, body: Uint8Array): boolean {
  if (contentType && HTML_TYPES.has(contentType)) return true;
  const head = Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, 1024)).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  return /^(<!--.*?-->\s*)*<(!doctype html|html|head|body|title|meta|p|div|a\s)/s.test(head);
}

/** Directives that carry a value after a colon (not a crawler name). */
const VALUED = /^(unavailable_after|max-snippet|max-image-preview|max-video-preview)\s*:/;

/**
 * noindex / nofollow from X-Robots-Tag headers and <meta name="robots">. Directives scoped to
 * another crawler ("googlebot: noindex") are ignored; those scoped to our product token apply.
 * A scope covers the directives after it up to the next scope, as Google reads
 * "otherbot: noindex, nofollow" (both for otherbot).
 */
export function robotsDirectives(header: string | undefined, meta: string | null, token: string): { noindex: boolean; nofollow: boolean } {
  let noindex = false, nofollow = false;
  const apply = (value: string) => {
    let scope: string | null = null;
    for (const raw of value.toLowerCase().split(',')) {
      let d = raw.trim();
      const colon = d.indexOf(':');
      if (colon > 0 && !VALUED.test(d)) {
        scope = d.slice(0, colon).trim();
        d = d.slice(colon + 1).trim();
      }
      if (scope !== null && scope !== token) continue;
      if (d === 'noindex' || d === 'none') noindex = true;
      if (d === 'nofollow' || d === 'none') nofollow = true;
    }
  };
  if (header) apply(header);
  if (meta) apply(meta);
  return { noindex, nofollow };
}

/** The host[:port] of a normalized absolute URL, without parsing it again. */
export function hostOf(url: string): string {
  const start = url.indexOf('//') + 2;
  const end = url.indexOf('/', start);
  return url.slice(start, end < 0 ? undefined : end);
}
