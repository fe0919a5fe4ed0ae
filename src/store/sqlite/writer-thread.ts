/**
 * The SQLite writer thread: owns the only writing connection of a crawl and serves SqliteBackend's
 * requests in order (./writer-protocol.ts). Writing pages, links, the frontier and the full-text
 * index takes ~0.6 ms per page; here it runs beside the fetch loop instead of inside it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './store.js';
import { dbError } from './open.js';
import { errorToData, type WriterInit, type WriterReply, type WriterRequest, type WriterStartup } from './writer-protocol.js';

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
  port.on('message', (req: WriterRequest) => {
    port.postMessage(serve(s, req));
    if (req.method === 'close') port.close(); // the database is closed either way; the thread exits
  });
}

/** Calls the store method the request names (one of WRITER_METHODS: the protocol's types allow no other). */
function serve(s: SqliteStore, req: WriterRequest): WriterReply {
  const started = performance.now();
  try {
    const fn = s[req.method] as (...args: unknown[]) => unknown;
    return { id: req.id, ok: true, value: fn.apply(s, req.args) };
  } catch (err) {
    return { id: req.id, ok: false, error: errorToData(dbError(init.file, err)) };
  } finally {
    Atomics.add(busyUs, 0, BigInt(Math.round((performance.now() - started) * 1000)));
  }
}
