/**
 * Example custom extractor for `crawl --extract examples/extractor.mjs`.
 *
 * The module is loaded once in every parse worker thread (not the main thread), and its
 * default export is called for every HTML page with:
 *   $   - the page loaded in cheerio (htmlparser2 backend): use it like jQuery, `$('h2').text()`
 *   url - the page's URL (after redirects)
 * It may be async. Whatever it returns must be JSON-serializable: it is stored as JSON in
 * the `extract` column of the page row. If it throws (or returns a BigInt, a cycle...), the
 * page is still recorded, with error_code EXTRACT_FAILED and the message in error_message.
 *
 * Keep it fast and pure: it runs inside the parse timeout, and a hung extractor costs the
 * whole worker thread (it is terminated and replaced).
 *
 * This one returns the h2 headings, the number of images, and the schema.org types
 * declared in JSON-LD blocks, e.g.
 *   { "headings": ["Pricing", "FAQ"], "images": 12, "jsonLd": ["Product", "BreadcrumbList"] }
 */

/**
 * @param {import('cheerio').CheerioAPI} $
 * @param {string} url
 */
export default function extract($, url) {
  const headings = $('h2')
    .map((_, el) => $(el).text().replace(/\s+/g, ' ').trim())
    .get()
    .filter((t) => t !== '');

  const jsonLd = [];
  $('script[type="application/ld+json"]').each((_, el) => {
    let data;
    try {
      data = JSON.parse($(el).text());
    } catch {
      return; // broken JSON-LD is common; skip the block rather than fail the page
    }
    collectTypes(data, jsonLd);
  });

  return {
    url,
    headings,
    images: $('img').length,
    jsonLd: [...new Set(jsonLd)],
  };
}

/** Collects "@type" values from a JSON-LD value, following arrays and "@graph". */
function collectTypes(node, out) {
  if (Array.isArray(node)) {
    for (const item of node) collectTypes(item, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const type = node['@type'];
  if (typeof type === 'string') out.push(type);
  else if (Array.isArray(type)) out.push(...type.filter((t) => typeof t === 'string'));
  if (node['@graph']) collectTypes(node['@graph'], out);
}
