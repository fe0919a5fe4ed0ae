/**
 * Typed errors with stable codes. Tests and the database use `code`, never message text.
 * Codes recorded on page rows are listed in README ("Error codes").
 */

/** Every code the crawler records or throws. Stable across versions: add, never rename. */
export const ErrorCodes = {
  // Fetch outcomes recorded on page rows
  HTTP_STATUS: 'HTTP_STATUS',
  ROBOTS_DISALLOWED: 'ROBOTS_DISALLOWED',
  ROBOTS_UNAVAILABLE: 'ROBOTS_UNAVAILABLE',
  /** Not fetched: the host was given up for the run (robots.txt or repeated connections got no answer). */
  HOST_DOWN: 'HOST_DOWN',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  CONNECT_TIMEOUT: 'CONNECT_TIMEOUT',
  HEADERS_TIMEOUT: 'HEADERS_TIMEOUT',
  BODY_TIMEOUT: 'BODY_TIMEOUT',
  TOTAL_TIMEOUT: 'TOTAL_TIMEOUT',
  CONNECTION_RESET: 'CONNECTION_RESET',
  CONNECTION_REFUSED: 'CONNECTION_REFUSED',
  DNS_FAILED: 'DNS_FAILED',
  HOST_UNREACHABLE: 'HOST_UNREACHABLE',
  TLS_FAILED: 'TLS_FAILED',
  NETWORK_ERROR: 'NETWORK_ERROR',
  DECODE_FAILED: 'DECODE_FAILED',
  PRIVATE_ADDRESS: 'PRIVATE_ADDRESS',
  TOO_MANY_REDIRECTS: 'TOO_MANY_REDIRECTS',
  REDIRECT_LOOP: 'REDIRECT_LOOP',
  BAD_REDIRECT: 'BAD_REDIRECT',
  PARSE_FAILED: 'PARSE_FAILED',
  PARSE_TIMEOUT: 'PARSE_TIMEOUT',
  EXTRACT_FAILED: 'EXTRACT_FAILED',
  NOT_HTML: 'NOT_HTML',
  // --render: the browser did not finish the page in --render-timeout, or failed twice (crashed)
  RENDER_TIMEOUT: 'RENDER_TIMEOUT',
  RENDER_FAILED: 'RENDER_FAILED',
  // Run-level errors (thrown, mapped to exit codes)
  BAD_INPUT: 'BAD_INPUT',
  LOCKED: 'LOCKED',
  DB_ERROR: 'DB_ERROR',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base class: every error the crawler raises on purpose carries a stable `code`. */
export class CrawlError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CrawlError';
    this.code = code;
  }
}

/** Bad user input (flags, config, seed file). Exits with EXIT.BAD_INPUT before any fetch. */
export class BadInputError extends CrawlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.BAD_INPUT, message, options);
    this.name = 'BadInputError';
  }
}

/** Another crawl holds the run lock on this database. */
export class LockedError extends CrawlError {
  constructor(message: string) {
    super(ErrorCodes.LOCKED, message);
    this.name = 'LockedError';
  }
}

/** The database cannot be opened or written (read-only path, disk full, locked by a foreign writer). */
export class DatabaseError extends CrawlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.DB_ERROR, message, options);
    this.name = 'DatabaseError';
  }
}

/** Process exit codes. Documented in README ("Exit codes"). */
export const EXIT = {
  /** The crawl finished (or a query command succeeded). */
  OK: 0,
  /** Internal error: a bug or an unexpected failure. */
  INTERNAL: 1,
  /** Bad input: flags, config file, seed file. Nothing was fetched. */
  BAD_INPUT: 2,
  /** The crawl finished, but the share of failed URLs exceeded --fail-on-error-rate. */
  ERRORS_ABOVE_THRESHOLD: 3,
  /** Interrupted (SIGINT/SIGTERM) or --max-time spent: the next run resumes. */
  INTERRUPTED: 4,
  /** Another crawl is running on this database; nothing was changed. */
  LOCKED: 5,
  /** The database could not be opened or written. */
  DB_ERROR: 6,
  /** The run ended, but no URL got an answer (every fetch failed: DNS, refused connection, timeout, …). */
  NOTHING_FETCHED: 7,
} as const;

/**
 * The exit code of a run that ended without a thrown error: interrupted (resumable), nothing
 * answered though URLs were tried, too many failures for --fail-on-error-rate, or OK.
 */
export function runExitCode(r: {
  resumable: boolean; tried: number; answered: number; failed: number; total: number; failOnErrorRate?: number;
}): number {
  if (r.resumable) return EXIT.INTERRUPTED;
  if (r.tried > 0 && r.answered === 0) return EXIT.NOTHING_FETCHED;
  if (r.failOnErrorRate !== undefined && r.total > 0 && r.failed / r.total > r.failOnErrorRate) return EXIT.ERRORS_ABOVE_THRESHOLD;
  return EXIT.OK;
}

/** Maps a thrown error to its exit code. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CrawlError) {
    switch (err.code) {
      case ErrorCodes.BAD_INPUT: return EXIT.BAD_INPUT;
      case ErrorCodes.LOCKED: return EXIT.LOCKED;
      case ErrorCodes.DB_ERROR: return EXIT.DB_ERROR;
      default: return EXIT.INTERNAL;
    }
  }
  return EXIT.INTERNAL;
}
