/**
 * Log lines on stderr: plain text or one JSON object per line (--log-format json), never both.
 * Event names live in EVENTS so scripts can rely on them.
 */
import { styleText } from 'node:util';

/** Every event the CLI logs. */
export const EVENTS = {
  start: 'start',
  page: 'page',
  notice: 'notice',
  hostDown: 'host-down',
  stopping: 'stopping',
  summary: 'summary',
  fatal: 'fatal',
} as const;

export type Level = 'error' | 'info' | 'debug';
const RANK: Record<Level, number> = { error: 0, info: 1, debug: 2 };

export interface LoggerOptions {
  format: 'plain' | 'json';
  /** error: --quiet; info: default; debug: --verbose (one line per URL). */
  level: Level;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Colours in plain mode (a TTY without NO_COLOR). */
  color?: boolean;
}

/** Writes events. `beforeWrite` lets a progress bar clear its line first. */
export class Logger {
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  readonly color: boolean;
  beforeWrite: (() => void) | null = null;
  afterWrite: (() => void) | null = null;

  constructor(private readonly opts: LoggerOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.color = opts.color ?? (Boolean(this.stream.isTTY) && !process.env.NO_COLOR && opts.format === 'plain');
  }

  enabled(level: Level): boolean {
    return RANK[level] <= RANK[this.opts.level];
  }

  /** Logs an event with fields; `text` is the plain-mode line (fields appended as key=value otherwise). */
  event(level: Level, event: string, fields: Record<string, unknown>, text?: string): void {
    if (!this.enabled(level)) return;
    this.write(level, event, fields, text, level === 'error');
  }

  /** Logs an event whatever the level (the final summary line, even with --quiet); never coloured as an error. */
  always(event: string, fields: Record<string, unknown>, text?: string): void {
    this.write('info', event, fields, text, false);
  }

  private write(level: Level, event: string, fields: Record<string, unknown>, text: string | undefined, red: boolean): void {
    let line: string;
    if (this.opts.format === 'json') {
      line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields });
    } else {
      line = text ?? `${event} ${Object.entries(fields).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ')}`;
      if (red) line = this.paint('red', line);
    }
    this.beforeWrite?.();
    this.stream.write(line + '\n');
    this.afterWrite?.();
  }

  /** Writes raw plain text (multi-line summaries); ignored in JSON mode. */
  text(level: Level, text: string): void {
    if (this.opts.format === 'json' || !this.enabled(level)) return;
    this.beforeWrite?.();
    this.stream.write(text + '\n');
    this.afterWrite?.();
  }

  paint(style: 'red' | 'green' | 'yellow' | 'bold' | 'dim', s: string): string {
    return this.color ? styleText(style, s) : s;
  }
}
