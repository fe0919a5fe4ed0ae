/** The backend contract suite (test/backend/contract.ts) against every backend of this build. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { MemoryBackend } from '../src/store/memory/backend.js';
import { SqliteBackend } from '../src/store/sqlite/backend.js';
import { backendContract } from './backend/contract.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crawl-contract-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

backendContract('memory', { open: async () => new MemoryBackend('memory') });
backendContract('sqlite', { open: () => SqliteBackend.open(path.join(dir, `c${++n}.db`)) });
