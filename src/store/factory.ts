/**
 * One place chooses the backend: from --db (a file path or `sqlite:` URL for SQLite, `memory:` for
 * a throwaway in-memory crawl, a `postgres://` URL for a crawl shared by many workers) or an instance a library caller passes. The loop never names one.
 */
import { BadInputError } from '../errors.js';
import { MemoryBackend } from './memory/backend.js';
import { PostgresBackend } from './postgres/backend.js';
import { SqliteBackend } from './sqlite/backend.js';
import type { Backend } from './types.js';

/** Which backend a --db value names, and its location without the scheme. */
export function parseDbLocation(db: string): { kind: 'sqlite' | 'memory' | 'postgres'; location: string } {
  if (/^postgres(ql)?:\/\//i.test(db)) return { kind: 'postgres', location: db };
  if (/^memory:/i.test(db)) return { kind: 'memory', location: db.slice('memory:'.length) };
  if (/^sqlite:/i.test(db)) {
    const rest = db.slice('sqlite:'.length);
    // sqlite:///abs/path and sqlite://rel/path as in SQLAlchemy-style URLs; sqlite:path as is.
    const location = rest.startsWith('//') ? rest.slice(2) : rest;
    if (!location) throw new BadInputError(`--db ${db}: give a file after sqlite:, e.g. sqlite:data/crawl.db`);
    return { kind: 'sqlite', location };
  }
  return { kind: 'sqlite', location: db };
}

/** Opens the backend `db` names, or returns the instance given. */
export async function openBackend(db: string | Backend): Promise<Backend> {
  if (typeof db !== 'string') return db;
  const { kind, location } = parseDbLocation(db);
  switch (kind) {
    case 'memory': return new MemoryBackend(location || 'memory');
    case 'postgres': return PostgresBackend.open(location);
    default: return SqliteBackend.open(location);
  }
}
