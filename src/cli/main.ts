/**
 * The CLI: yargs parses and hands over; every command validates through the library.
 * Errors become exit codes (README "Exit codes"); messages say what is wrong and how to fix it.
 *
 * Start-up: only the command being run is imported (`crawl stats …` loads stats.ts, not the
 * crawler), and each command imports its heavy parts (the crawler, a backend, better-sqlite3, pg)
 * only when its handler runs, so `--help`, `--version` and a query stay near node's own start-up
 * (`npm run bench:startup`, bench/results/).
 */
import fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { BadInputError, CrawlError, EXIT, exitCodeFor } from '../errors.js';
import { OPTION_SPECS, closest, flagName } from '../options/options.js';
import { EVENTS } from '../log/logger.js';

type AnyCommand = CommandModule<any, any>;

/** Each command's module, imported when it is needed; the first (the crawl) is the default command. */
const COMMAND_MODULES: [string, () => Promise<AnyCommand>][] = [
  ['', async () => (await import('./commands/crawl.js')).crawlCommand],
  ['query', async () => (await import('./commands/query.js')).queryCommand],
  ['stats', async () => (await import('./commands/stats.js')).statsCommand],
  ['search', async () => (await import('./commands/search.js')).searchCommand],
  ['export', async () => (await import('./commands/export.js')).exportCommand],
  ['report', async () => (await import('./commands/report.js')).reportCommand],
  ['runs', async () => (await import('./commands/runs.js')).runsCommand],
  ['changes', async () => (await import('./commands/changes.js')).changesCommand],
  ['worker', async () => (await import('./commands/worker.js')).workerCommand],
  ['reparse', async () => (await import('./commands/reparse.js')).reparseCommand],
  ['status', async () => (await import('./commands/status.js')).statusCommand],
];

/**
 * The commands to register: the one named first on the command line (`crawl stats …`), or every
 * one (the crawl itself, --help's list, a mistake that needs "did you mean").
 */
async function commandsFor(argv: string[]): Promise<AnyCommand[]> {
  const named = COMMAND_MODULES.find(([name]) => name !== '' && name === argv[0]);
  return Promise.all((named ? [named] : COMMAND_MODULES).map(([, load]) => load()));
}

/** Package version, read from package.json. */
export function version(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const COMMAND_FLAGS = ['db', 'format', 'run', 'limit', 'out', 'top', 'table', 'where', 'columns', 'since', 'change', 'param', 'help', 'version', 'config', 'extract', 'warc', 'workers'];

const COMMANDS = COMMAND_MODULES.map(([name]) => name).filter((name) => name !== '');

/** Adds "did you mean …?" to yargs' unknown-argument messages (flags and command names). */
export function explainUnknown(msg: string, argv: string[] = []): string {
  const missing = /^Not enough arguments following: (.+)$/.exec(msg);
  if (missing) return `--${flagName(missing[1])} needs a value (e.g. --${flagName(missing[1])} VALUE); see crawl --help`;
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m) return msg;
  const unknown = m[1].split(', ');
  // A bare word yargs did not know (not a flag's value: those are parsed, never reported).
  const first = unknown.find((u) => argv.includes(u) && !argv.includes(`--${u}`));
  if (first) {
    const cmd = closest(first, COMMANDS);
    return `unknown command "${first}"${cmd ? ` (did you mean "crawl ${cmd}"?)` : ''}; commands: ${COMMANDS.join(', ')}; see crawl --help`;
  }
  const known = [...OPTION_SPECS.map((s) => flagName(s.key)), ...COMMAND_FLAGS];
  // yargs reports both spellings of a dashed flag (max-page and maxPage): keep the dashed one.
  const flags = unknown.filter((a) => !/[A-Z]/.test(a) || !unknown.includes(flagName(a)));
  const parts = flags.map((arg) => {
    const best = closest(arg, known);
    return best ? `--${arg} (did you mean --${best}?)` : `--${arg}`;
  });
  return `unknown option${parts.length > 1 ? 's' : ''} ${parts.join(', ')}; see crawl --help`;
}

/** Options whose values are lists: repeating them adds values. Every other option takes its last value. */
const LIST_KEYS = new Set(['_', '$0', 'params', 'param', 'change', 'columns',
  ...OPTION_SPECS.filter((s) => s.type === 'list').flatMap((s) => [s.key, flagName(s.key)])]);

/** yargs middleware (before validation): a repeated non-list option keeps its last value. */
function lastValueWins(argv: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(argv)) {
    if (Array.isArray(value) && !LIST_KEYS.has(key)) argv[key] = value[value.length - 1];
  }
}

/** True when the command line asks for JSON log lines (--log-format json / --log-format=json). */
function wantsJsonLog(argv: string[]): boolean {
  const i = argv.indexOf('--log-format');
  return argv.includes('--log-format=json') || (i >= 0 && argv[i + 1] === 'json');
}

/** Runs the CLI with `argv` (without node and script); sets the exit code. */
export async function main(argv: string[]): Promise<void> {
  let code: number = EXIT.OK;
  // Output piped into `head` and closed early is not an error: stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(EXIT.OK); });
  // `crawl --version` alone needs no parser: answered before yargs loads (what yargs would print).
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${version()}\n`);
    process.exitCode = EXIT.OK;
    return;
  }
  try {
    const commands = await commandsFor(argv);
    const { default: yargs } = await import('yargs');
    let parser = yargs(argv)
      .scriptName('crawl')
      .usage('crawl --urls FILE [options]      crawl into a SQLite database (or PostgreSQL: --db postgres://…)\ncrawl worker --db postgres://…   join the crawl in progress on a shared database\ncrawl <command> [options]        query what a crawl stored')
      .strict()
      .recommendCommands()
      // Repeated list options accumulate (--include a --include b); any other option repeated
      // keeps its last value (a later --delay overrides an earlier one), as before.
      .parserConfiguration({ 'duplicate-arguments-array': true })
      .middleware(lastValueWins, true)
      .version(version())
      .alias('h', 'help')
      .alias('V', 'version')
      .wrap(Math.min(120, process.stdout.columns || 100))
      .epilogue('Exit codes: 0 done, 1 internal error, 2 bad input, 3 errors above --fail-on-error-rate, 4 interrupted (resumable), 5 locked by another crawl, 6 database error.\nDocs: README.md')
      .exitProcess(false)
      .fail((msg, err) => {
        // yargs' own validation errors (e.g. a flag without its value) are bad input too, not bugs.
        if (err && err.name !== 'YError') throw err;
        throw new BadInputError(explainUnknown(msg ?? err?.message ?? 'invalid arguments', argv));
      });
    for (const c of commands) parser = parser.command(c);
    await parser.parseAsync();
    code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') process.exit(EXIT.OK);
    code = exitCodeFor(err);
    if (wantsJsonLog(argv)) {
      // Scripts reading --log-format json get the failure as an event too (locked, bad input, database).
      const fields = { code: err instanceof CrawlError ? err.code : 'INTERNAL', exit: code, message: (err as Error)?.message ?? String(err) };
      process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', event: EVENTS.fatal, ...fields }) + '\n');
    } else if (err instanceof CrawlError) process.stderr.write(`crawl: ${err.message}\n`);
    else process.stderr.write(`crawl: internal error: ${(err as Error)?.stack ?? String(err)}\nPlease report it with the command line you ran.\n`);
  }
  process.exitCode = code;
  // A safety net: never linger after the work is done because of a stray handle.
  setTimeout(() => process.exit(code), 2000).unref();
}
