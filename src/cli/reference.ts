/**
 * The option reference in README.md, generated from OPTION_SPECS (the one definition of every
 * option), so the documentation cannot drift: test/readme.test.ts checks README against it.
 * Print it with `node dist/src/cli/reference.js`.
 */
import { pathToFileURL } from 'node:url';
import { OPTION_SPECS, defaultLabel, flagName, type OptionSpec } from '../options/options.js';

const VALUE: Record<string, string> = { number: ' N', string: ' VALUE', duration: ' DURATION', size: ' SIZE', list: ' LIST', json: ' JSON', boolean: '' };

function flag(s: OptionSpec): string {
  const value = s.type === 'choice' ? ` ${s.choices!.join('\\|')}` : s.key === 'urls' || s.key === 'db' || s.key === 'extract' || s.key === 'cookies' ? ' FILE' : s.key === 'warc' ? ' DIR' : s.key === 'proxy' ? ' URL' : s.key === 'header' ? ' "NAME: VALUE"' : VALUE[s.type];
  return `--${flagName(s.key)}${s.alias ? `, -${s.alias}` : ''}${value}`;
}

/** Markdown tables of every crawl option, grouped as in `crawl --help`. */
export function optionsReference(): string {
  const out: string[] = [];
  let group = '';
  for (const s of OPTION_SPECS) {
    if (s.group !== group) {
      group = s.group;
      out.push(`${out.length ? '\n' : ''}**${group}**\n\n| flag | default | meaning |\n|---|---|---|`);
    }
    out.push(`| \`${flag(s)}\` | \`${defaultLabel(s)}\` | ${s.describe.replace(/\|/g, '\\|')} |`);
  }
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(optionsReference() + '\n');
