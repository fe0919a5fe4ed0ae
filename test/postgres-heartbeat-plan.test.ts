/**
 * The heartbeat's cost follows the hosts a worker holds, not their square, even while the server's
 * statistics have never seen the worker (a worker that just joined a large run): its plan, custom or
 * generic (prepared statements switch to one), reads a bounded number of buffers per host renewed.
 * Buffers, not time: the count does not depend on the machine's speed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { PostgresBackend } from '../src/store/postgres/backend.js';
import { RENEW } from '../src/store/postgres/queue.js';
import { pgCluster } from './helpers/pg.js';

const cluster = await pgCluster();
const skip = cluster ? false : 'PostgreSQL not found (see the message above)';
const HOSTS = 20_000, HELD = 1_500;
/** Buffers a renewal may read per host: the row, and its entries in the host indexes it rewrites (19 measured; the nested loop read 760). */
const PER_HOST = 40;

/** Shared buffers the statement read (the whole plan: the top node's count includes its children's). */
function buffersOf(plan: unknown): number {
  const top = (plan as { Plan: Record<string, number> }[])[0].Plan;
  return top['Shared Hit Blocks'] + top['Shared Read Blocks'];
}

test('the heartbeat reads a bounded number of buffers per host held, while the statistics have never seen its owner', { skip }, async () => {
  const url = cluster!.newDatabase();
  const b = await PostgresBackend.open(url);
  const c = new pg.Client(url);
  await c.connect();
  try {
    const { run } = await b.openRun({ optionsJson: '{}', owner: 'w-new' });
    // A large run's hosts, analyzed before this worker held any: the statistics place no row with it.
    await c.query('ALTER TABLE hosts SET (autovacuum_enabled = false)');
    await c.query(`INSERT INTO hosts (host, has_queue, owner, epoch, lease_until)
      SELECT 'h' || i || '.test', true, 'old-' || (i % 40), 1, (extract(epoch from clock_timestamp()) * 1000)::bigint + 3600000
      FROM generate_series(1, ${HOSTS}) i`);
    await c.query('ANALYZE hosts');
    await c.query(`UPDATE hosts SET owner = 'w-new' WHERE host IN (SELECT 'h' || i || '.test' FROM generate_series(1, ${HELD}) i)`);
    const before = (await c.query("SELECT min(lease_until) AS m FROM hosts WHERE owner = 'w-new'")).rows[0].m;

    const renewed = await b.renew({ owner: 'w-new', until: Date.now() + 7_200_000 });
    assert.equal(renewed.filter((h) => !h.offered).length, HELD, 'every host held is renewed');
    const after = (await c.query("SELECT min(lease_until) AS m, count(*)::int AS n FROM hosts WHERE owner = 'w-new'")).rows[0];
    assert.ok(Number(after.m) > Number(before) + 3_000_000, 'the leases moved to the new expiry');
    assert.equal(after.n, HELD, 'no host changed owner');

    const params = ['w-new', 7_200_000, run.id];
    const custom = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${RENEW}`, params)).rows[0]['QUERY PLAN'];
    await c.query(`PREPARE renew(text, bigint, bigint) AS ${RENEW}`);
    await c.query('SET plan_cache_mode = force_generic_plan');
    const generic = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE renew('w-new', 7200000, ${run.id})`)).rows[0]['QUERY PLAN'];
    for (const [name, plan] of [['custom', custom], ['generic', generic]]) {
      const n = buffersOf(plan);
      assert.ok(n < PER_HOST * HELD, `${name} plan: ${n} buffers for ${HELD} hosts (at most ${PER_HOST * HELD}):\n${JSON.stringify(plan).slice(0, 3000)}`);
    }
  } finally {
    await c.end();
    await b.close();
  }
});
