/** The read contract (test/reader/contract.ts) on SQLite: the fixture file as test/query-fixture.ts builds it. */
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { buildFixture } from './query-fixture.js';
import { tempDir } from './helpers/cli.js';
import { readerContract } from './reader/contract.js';

const dir = tempDir('crawl-reader-sqlite-');
const db = path.join(dir, 'fixture.db');
buildFixture(db);
after(() => fs.rmSync(dir, { recursive: true, force: true }));

readerContract('sqlite', () => db);
