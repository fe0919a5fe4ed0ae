/**
 * Statements with parameters run prepared, once per connection (src/store/postgres/db.ts): the server
 * parses and plans each once. Tested on a real server: a statement is prepared once and reused, and a
 * table whose columns change under a prepared `SELECT *` (a newer build's migration) costs a retry
 * on a fresh connection, not an error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inTx, openPool, reconnecting } from '../src/store/postgres/db.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';

test('a statement with parameters is prepared once per connection and reused', { skip }, async () => {
  const pool = openPool(cluster!.newDatabase(), 1);
  try {
    for (let i = 0; i < 3; i++) assert.equal((await pool.query('SELECT $1::int + 1 AS n', [i])).rows[0].n, i + 1);
    const r = await pool.query("SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int%'");
    assert.deepEqual(r.rows, [{ name: 'crawl_0', statement: 'SELECT $1::int + 1 AS n' }]);
  } finally {
    await pool.end();
  }
});

test('columns added under a prepared SELECT *: the call is retried on a fresh connection, in a transaction or not', { skip }, async () => {
  const url = cluster!.newDatabase();
  const pool = openPool(url, 1), other = openPool(url, 1);
  try {
    await other.query('CREATE TABLE t (a int); INSERT INTO t VALUES (1)');
    const read = () => inTx(pool, 'test', async (c) => (await c.query('SELECT * FROM t WHERE a = $1', [1])).rows);
    assert.deepEqual(await read(), [{ a: 1 }]);
    await other.query('ALTER TABLE t ADD COLUMN b int DEFAULT 2');
    assert.deepEqual(await read(), [{ a: 1, b: 2 }]);
    // Outside a transaction (the backend's single statements go through reconnecting()).
    const one = () => reconnecting('test', async () => (await pool.query('SELECT * FROM t WHERE a = $1', [1])).rows);
    assert.deepEqual(await one(), [{ a: 1, b: 2 }]);
    await other.query('ALTER TABLE t ADD COLUMN c int DEFAULT 3');
    assert.deepEqual(await one(), [{ a: 1, b: 2, c: 3 }]);
  } finally {
    await pool.end();
    await other.end();
  }
});
