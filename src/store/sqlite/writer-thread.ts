/**
 * The SQLite writer thread: owns the only connection of a crawl and serves ThreadedStore's
 * requests in order (src/store/sqlite/writer-protocol.ts). Writing pages, links, the frontier
 * and the full-text index takes ~0.6 ms per page; here it runs beside the fetch loop instead of
 * inside it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './store.js';
import { errorToData, type WriterInit, type WriterReply, type WriterRequest, type WriterStartup } from './writer-protocol.js';
import type { PageOutcome } from '../types.js';

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
    void serve(s, req).then((reply) => {
      port.postMessage(reply);
      if (req.method === 'close') port.close(); // the database is closed either way; the thread exits
    });
  });
}

async function serve(s: SqliteStore, req: WriterRequest): Promise<WriterReply> {
  const started = performance.now();
  try {
    let value: unknown;
    if (req.method === 'walAutocheckpoint') {
      // Raised when the main thread checkpoints the WAL on a connection of its own (threaded.ts).
      value = s.db.pragma(`wal_autocheckpoint = ${Number(req.args[0])}`, { simple: true });
    } else if (req.method === 'flush') {
      for (const o of req.args[0] as PageOutcome[]) s.record(o);
      value = await s.flush();
    } else {
      value = await (s[req.method] as (...a: unknown[]) => Promise<unknown>)(...req.args);
    }
    return { id: req.id, ok: true, value };
  } catch (err) {
    return { id: req.id, ok: false, error: errorToData(err) };
  } finally {
    Atomics.add(busyUs, 0, BigInt(Math.round((performance.now() - started) * 1000)));
  }
}
