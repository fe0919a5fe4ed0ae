/**
 * robots.txt text rewritten so that robots-parser reads it as RFC 9309 does.
 *
 * robots-parser trims every line, key and value with String#trim(), which strips far more than
 * RFC 9309's whitespace (SP and HTAB only, §2.2): a byte order mark, NBSP, U+2028... A BOM in the
 * middle of a file (two files concatenated, an editor's paste) made "\uFEFFDisallow: /x" read as
 * "Disallow: /x". Here each line is cut and trimmed by the RFC's rules and handed on as a plain
 * "key: value" line robots-parser cannot misread; line numbers stay the same (rule order).
 */

/** RFC 9309 whitespace: space and horizontal tab. */
const WS = /^[ \t]+|[ \t]+$/g;

/**
 * The same robots.txt, one line per line, in a form robots-parser parses per RFC 9309: a BOM
 * at the very start is skipped (the file is UTF-8, §2.3); a line whose key holds anything but
 * visible ASCII is blanked (no directive has such a key); whitespace other than SP/HTAB at
 * either end of a value stays part of it (percent-encoded, so robots-parser keeps it).
 */
export function rfc9309Text(body: string): string {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  return text.split(/\r\n|\r|\n/).map(rfc9309Line).join('\n');
}

function rfc9309Line(raw: string): string {
  const hash = raw.indexOf('#');
  const line = hash >= 0 ? raw.slice(0, hash) : raw;
  const colon = line.indexOf(':');
  if (colon < 0) return '';
  const key = line.slice(0, colon).replace(WS, '');
  if (!/^[\x21-\x7e]+$/.test(key)) return '';
  const value = line.slice(colon + 1).replace(WS, '').replace(/^\s+|\s+$/g, (ws) => encodeURIComponent(ws));
  return `${key}: ${value}`;
}
