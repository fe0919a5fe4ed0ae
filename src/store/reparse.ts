/**
 * What `crawl reparse` (src/reparse/) asks of a crawl database: the last run, the archived pages
 * (keyset paging), and writing re-parsed content and links back: ./sqlite/reparse-target.ts and
 * ./postgres/reparse-target.ts (PostgreSQL records where --warc archived each page since schema v8).
 */
import { BadInputError } from '../errors.js';
import { parseDb } from './location.js';

/** A page whose last response is archived. */
export interface ArchivedPage {
  urlId: number;
  url: string;
  warcFile: string;
  warcOffset: number;
}

/** The content columns a reparse rewrites. */
export interface ReparsedContent {
  title: string | null;
  description: string | null;
  canonical: string | null;
  lang: string | null;
  h1: string | null;
  meta_robots: string | null;
  text: string | null;
  word_count: number | null;
  content_hash: string | null;
  extract: string | null;
  encoding: string | null;
}

/** One page's new content and outgoing links. */
export interface ReparsedPage {
  urlId: number;
  content: ReparsedContent;
  links: { url: string; host: string; anchor: string; rel: string | null }[];
}

/** A crawl database opened for a reparse (writable, under the run lock). */
export interface ReparseTarget {
  /** The last run: its id and options (null when the database has no run). */
  lastRun(): Promise<{ id: number; options: Record<string, unknown> } | null>;
  /** Names of the WARC files the pages point at. */
  warcFiles(): Promise<string[]>;
  /** The next `limit` pages with an archived response after url_id `after`. */
  archivedPages(after: number, limit: number): Promise<ArchivedPage[]>;
  /** Writes one batch in a transaction; resolves with how many pages' content differed. */
  writeBatch(pages: ReparsedPage[], runId: number): Promise<number>;
  close(): Promise<void>;
}

/** Opens the crawl `db` names for a reparse; throws BadInputError, LockedError or DatabaseError. */
export async function openReparseTarget(db: string): Promise<ReparseTarget> {
  const loc = parseDb(db);
  if (loc.kind === 'postgres') return (await import('./postgres/reparse-target.js')).PgReparseTarget.open(loc);
  if (loc.kind === 'memory') throw new BadInputError(`--db ${db}: an in-memory crawl is gone when its crawl ends; reparse a SQLite database crawled with --warc`);
  return (await import('./sqlite/reparse-target.js')).SqliteReparseTarget.open(loc.path);
}
