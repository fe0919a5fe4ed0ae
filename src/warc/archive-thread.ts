/**
 * The archive's thread: owns the WARC files and does the gzip and the writes, so the crawl's main
 * thread (its busiest) only serialises record headers and posts the bytes. Creating a zlib stream
 * costs ~1 ms of synchronous work even with the async API (measured), two per fetch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WarcFiles, type WarcFilesOptions } from './file-writer.js';

/** Messages to the thread. */
export type ArchiveRequest =
  | { type: 'append'; id: number; records: Uint8Array[] }
  | { type: 'close' };
/** Messages from the thread. */
export type ArchiveReply =
  | { type: 'opened' }
  | { type: 'written'; id: number; file: string; offset: number }
  | { type: 'failed'; id: number | null; message: string }
  | { type: 'closed' };

const port = parentPort!;
let files: WarcFiles | null = null;
try {
  files = WarcFiles.open(workerData as WarcFilesOptions);
  port.postMessage({ type: 'opened' } satisfies ArchiveReply);
} catch (err) {
  port.postMessage({ type: 'failed', id: null, message: (err as Error).message } satisfies ArchiveReply);
}

port.on('message', (m: ArchiveRequest) => {
  if (m.type === 'close') {
    files?.close();
    port.postMessage({ type: 'closed' } satisfies ArchiveReply);
    port.close();
    return;
  }
  try {
    if (!files) throw new Error('archive not open');
    const at = files.append(m.records);
    port.postMessage({ type: 'written', id: m.id, file: at.file, offset: at.offset } satisfies ArchiveReply);
  } catch (err) {
    port.postMessage({ type: 'failed', id: m.id, message: (err as Error).message } satisfies ArchiveReply);
  }
});
