/**
 * One place chooses the backend: from --db (parsed by ./location.ts: a file path or `sqlite:` URL
 * for SQLite, `memory:` for a throwaway in-memory crawl, a `postgres://` URL for a crawl shared by
 * many workers) or an instance a library caller passes. The loop never names one.
 */
import { MemoryBackend } from './memory/backend.js';
import { PostgresBackend } from './postgres/backend.js';
import { SqliteBackend } from './sqlite/backend.js';
import { parseDb } from './location.js';
import type { Backend } from './types.js';

/** Opens the backend `db` names, or returns the instance given. */
export async function openBackend(db: string | Backend): Promise<Backend> {
  if (typeof db !== 'string') return db;
  const loc = parseDb(db);
  switch (loc.kind) {
    case 'memory': return new MemoryBackend(loc.name || 'memory');
    case 'postgres': return PostgresBackend.open(loc.url);
    default: return SqliteBackend.open(loc.path);
  }
}
