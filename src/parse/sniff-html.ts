/** Whether a response body goes to the HTML parser. */

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
