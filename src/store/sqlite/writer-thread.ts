/**
 * The SQLite writer thread: owns the only writing connection of a crawl and serves SqliteBackend's
 * requests in order (./writer-protocol.ts). Writing pages, links, the frontier and the full-text
 * index takes ~0.6 ms per page; here it runs beside the fetch loop instead of inside it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './store.js';
import { dbError } from './open.js';
import { errorToData, type WriterCalls, type WriterInit, type WriterReply, type WriterRequest, type WriterStartup } from './writer-protocol.js';

const port = parentPort!;
const init = workerData as WriterInit;
const busyUs = new BigInt64Array(init.busyUs);
let store: SqliteStore | null = null;
try {
  store = new SqliteStore(init.file);
  port.postMessage({ ready: true } satisfies WriterStartup);
} catch (err) {
  port.postMessage({ ready: false, error: errorToData(err) } satisfies WriterStartup);
  port.close();
}

if (store) {
  const s = store;
  const calls: WriterCalls = {
    lastRun: () => s.lastRun(), getRun: (id) => s.getRun(id), openRun: (req) => s.openRun(req),
    finishRun: (id, status, reason) => s.finishRun(id, status, reason), summarize: (id) => s.summarize(id),
    enqueue: (items) => s.enqueue(items), enqueueDue: (older, adaptive, now) => s.enqueueDue(older, adaptive, now),
    queuedByHost: () => s.queuedByHost(), claim: (host, limit, lease) => s.claim(host, limit, lease), renew: (lease) => s.renew(lease),
    release: (owner, ids) => s.release(owner, ids), requeueExpired: (now) => s.requeueExpired(now), write: (batch) => s.write(batch),
    getRobots: (origin) => s.getRobots(origin), putRobots: (rec) => s.putRobots(rec),
    loadVerdicts: () => s.loadVerdicts(), saveVerdicts: (rows) => s.saveVerdicts(rows), close: () => s.close(),
    // Raised when the main thread checkpoints the WAL on a connection of its own (backend.ts).
    walAutocheckpoint: (pages) => s.db.pragma(`wal_autocheckpoint = ${Number(pages)}`, { simple: true }),
  };
  port.on('message', (req: WriterRequest) => {
    port.postMessage(serve(calls, req));
    if (req.method === 'close') port.close(); // the database is closed either way; the thread exits
  });
}

function serve(calls: WriterCalls, req: WriterRequest): WriterReply {
  const started = performance.now();
  try {
    const fn = calls[req.method] as (...args: unknown[]) => unknown;
    return { id: req.id, ok: true, value: fn(...req.args) };
  } catch (err) {
    return { id: req.id, ok: false, error: errorToData(dbError(init.file, err)) };
  } finally {
    Atomics.add(busyUs, 0, BigInt(Math.round((performance.now() - started) * 1000)));
  }
}
