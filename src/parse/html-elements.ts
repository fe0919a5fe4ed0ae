/**
 * Which elements separate words and which hide their text, taken from the HTML standard's
 * rendering section (https://html.spec.whatwg.org/multipage/rendering.html), i.e. the user-agent
 * stylesheet every browser applies when a page sets no CSS of its own.
 *
 * The BLOCK set is defined and everything else is inline: phrasing content (a, b, span, code,
 * abbr...), the obsolete inline elements (acronym, big, tt, strike, font, blink, nobr...) and
 * unknown or custom elements (which are display: inline in every browser). A hand list of
 * inline elements instead missed <acronym>: "Compilation (<acronym>JIT</acronym>)" was stored
 * as "Compilation ( JIT )" and "<acronym>TOAST</acronym>ed" as "TOAST ed".
 */

/**
 * Elements that start a new word where they open and close: those the UA stylesheet gives a
 * display other than inline (block, list-item, table parts, ruby text, inline-block form
 * controls), plus <br> (a forced line break) and replaced elements that take up a box of their own
 * (img, video...), so "foo<img>bar" is two words as a reader sees it.
 */
export const BLOCK: ReadonlySet<string> = new Set([
  // §15.3.2 the page, §15.3.3 flow content
  'html', 'body', 'address', 'blockquote', 'center', 'dialog', 'div', 'figure', 'figcaption', 'footer', 'form',
  'header', 'hr', 'legend', 'listing', 'main', 'p', 'plaintext', 'pre', 'search', 'xmp',
  // §15.3.6 sections and headings
  'article', 'aside', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hgroup', 'nav', 'section',
  // §15.3.7 lists
  'dir', 'dd', 'dl', 'dt', 'menu', 'ol', 'ul', 'li',
  // §15.3.8 tables
  'table', 'caption', 'colgroup', 'col', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th',
  // §15.3.4 ruby annotations (display: ruby-text) read as words of their own
  'rt', 'rtc',
  // §15.3.10-12 form controls (inline-block), fieldset; options are block in every UA stylesheet
  'fieldset', 'details', 'summary', 'button', 'input', 'select', 'option', 'optgroup', 'textarea', 'meter',
  'progress', 'keygen', 'marquee',
  // §15.6 frames
  'frameset', 'frame',
  // line break and replaced elements
  'br', 'img', 'video', 'audio', 'canvas', 'embed', 'svg',
]);

/**
 * Elements whose content a reader never sees: display: none in the UA stylesheet (§15.3.1),
 * plus <noscript> (browsers run scripts) and <iframe> (its content is fallback markup).
 * <title> here is the HTML title, not an SVG <title> (see SVG_LABELS).
 */
export const HIDDEN: ReadonlySet<string> = new Set([
  'area', 'base', 'basefont', 'datalist', 'head', 'link', 'meta', 'noembed', 'noframes', 'param', 'rp', 'script', 'style',
  'template', 'title', 'noscript', 'iframe',
]);

/**
 * Inside <svg> only these elements' text is shown or read out: <text> labels (with their <tspan>,
 * <textPath>, <a> children), <title> (the accessible name, shown as a tooltip) and
 * <foreignObject> (HTML content again). Everything else in an SVG is drawing; loose text in it is
 * not rendered. Each label is a word boundary: two labels are two words.
 */
export const SVG_LABELS: ReadonlySet<string> = new Set(['text', 'title', 'foreignobject']);
