/**
 * Array parameters in the binary format (src/store/postgres/binary-array.ts) reach a real server as
 * the same values the text format gives: every element type the write path sends, with the
 * characters the text form has to escape, NULLs, the integer limits and empty arrays. Both go through
 * prepared statements, as the crawler's do.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { binaryArray, type ElementType } from '../src/store/postgres/binary-array.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
let c: pg.Client;
before(async () => { if (cluster) { c = new pg.Client(cluster.url); await c.connect(); } });
after(async () => { await c?.end(); });

/** The elements as the server sees them (their text output, in order), from a binary and from a text-format array. */
async function both(type: ElementType, values: unknown[], plain: unknown[] = values): Promise<[unknown[], unknown[]]> {
  const sql = `SELECT v::text AS v FROM unnest($1::${type}[]) WITH ORDINALITY AS t(v, i) ORDER BY i`;
  const bin = await c.query({ name: `bin-${type}`, text: sql, values: [binaryArray(type, values)] });
  const txt = await c.query({ name: `txt-${type}`, text: sql, values: [plain] });
  return [bin.rows.map((r) => r.v), txt.rows.map((r) => r.v)];
}

test('text elements arrive as the text format gives them: quotes, backslashes, braces, commas, "NULL", unicode, NULLs, 200 KB', { skip }, async () => {
  const values = ['', 'NULL', 'null', 'a,b', '{x}', '"quoted"', 'back\\slash', ' spaced ', 'é 日本語 𝒜 ǅ', 'line\nbreak\ttab', 'x'.repeat(200_000), null, 'end'];
  const [bin, txt] = await both('text', values);
  assert.equal(bin.length, values.length);
  assert.deepEqual(bin, txt);
  assert.deepEqual(bin, values);
});

test('numbers, strings and objects in a text array are sent as node-postgres would send them', { skip }, async () => {
  const values = [42, 1.5, true, { a: 1 }];
  const [bin, txt] = await both('text', values);
  assert.deepEqual(bin, ['42', '1.5', 'true', '{"a":1}']);
  assert.deepEqual(bin, txt);
});

test('bigint elements: past 32 bits, negative, the int8 limits as strings and bigints, NULLs', { skip }, async () => {
  const values = [0, 1, -1, 2 ** 40 + 5, -(2 ** 40) - 7, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, '9223372036854775807', -9223372036854775808n, null];
  const [bin, txt] = await both('bigint', values, values.map((v) => (typeof v === 'bigint' ? v.toString() : v)));
  assert.deepEqual(bin, txt);
  assert.deepEqual(bin, ['0', '1', '-1', String(2 ** 40 + 5), String(-(2 ** 40) - 7), String(Number.MAX_SAFE_INTEGER),
    String(Number.MIN_SAFE_INTEGER), '9223372036854775807', '-9223372036854775808', null]);
});

test('int, smallint and bool elements at their limits, with NULLs', { skip }, async () => {
  for (const [type, values] of [
    ['int', [0, -1, 2147483647, -2147483648, null, 200]],
    ['smallint', [0, 32767, -32768, null]],
    ['bool', [true, false, null, true]],
  ] as [ElementType, unknown[]][]) {
    const [bin, txt] = await both(type, values);
    assert.deepEqual(bin, txt, type);
    assert.equal(bin.length, values.length, type);
  }
});

test('empty arrays unnest to no rows; a fraction in an integer array is refused before it is sent', { skip }, async () => {
  for (const type of ['text', 'bigint', 'int', 'smallint', 'bool', 'tsvector'] as ElementType[]) {
    const r = await c.query(`SELECT count(*)::int AS n FROM unnest($1::${type}[])`, [binaryArray(type, [])]);
    assert.equal(r.rows[0].n, 0, type);
  }
  assert.throws(() => binaryArray('int', [1, 1.5]), /not an integer for a int\[\] parameter: 1\.5/);
  assert.throws(() => binaryArray('bigint', [2 ** 60]), TypeError);
});

test('the server refuses an array whose element type is not the one the statement casts to', { skip }, async () => {
  await assert.rejects(c.query('SELECT count(*) FROM unnest($1::bigint[])', [binaryArray('int', [1, 2])]), /array element type 23 \(integer\) instead of expected 20 \(bigint\)/);
});
