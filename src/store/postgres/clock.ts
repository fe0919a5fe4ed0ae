/**
 * One clock for every lease: the database server's. Workers' clocks drift (a worker at +40 s once
 * took three live hosts and fetched them beside their owners), so leases, heartbeats, expiry,
 * hand-over gaps and the run's end are decided by the server's time in the statements themselves.
 *
 * The ports speak the worker's local time (a Lease's `until`, busyUntil, pacing times, the `now` of
 * requeueExpired and pending) because the frontier paces with it; this backend turns each into a
 * duration from the local now, applies it to the server's now, and turns answers back the same way.
 * A skewed worker therefore gets the same answers as one with a true clock.
 */

/** The server's time in ms since epoch, at the moment the statement runs. */
export const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** The server's time as ISO 8601 UTC text (the format of every *_at text column). */
export const NOW_ISO = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A local time (ms since epoch) as a duration from the local now, for `NOW_MS + $n`. */
export function fromNow(localMs: number, localNow = Date.now()): number {
  return Math.round(localMs - localNow);
}

/** A server time answered with the server's now at that moment, as local time. */
export function toLocal(serverMs: number, serverNow: number, localNow = Date.now()): number {
  return localNow + (Number(serverMs) - Number(serverNow));
}

/**
 * Session limits sized to the lease, so that no worker can hold the fleet: a worker stopped or cut
 * off inside a transaction loses its session (and its row locks) well before the leases of the
 * workers waiting on it run out; a statement waiting on a lock gives up and the transaction is
 * retried; nothing runs away. Sent with BEGIN (one round trip) as SET LOCAL.
 */
export function sessionLimits(leaseMs: number): { idleInTxMs: number; lockMs: number; statementMs: number } {
  const quarter = Math.min(10_000, Math.max(500, Math.floor(leaseMs / 4)));
  return { idleInTxMs: quarter, lockMs: quarter, statementMs: Math.max(30_000, 2 * leaseMs) };
}

/**
 * BEGIN with the session limits of `leaseMs` for this transaction, and no Seq Scan where an index
 * serves: every statement of a crawler transaction looks rows up by key or reads an index range,
 * but the planner weighs a batch (a write's 5,120 links) against the table's size and, below about
 * a million URLs, joined it to a Seq Scan of `urls` and of `frontier` (300,000 URLs: 75–115 ms a
 * statement against 12 ms through the index, every write). A statement that must read a whole
 * table (the recrawl's enqueueDue) turns it back on.
 */
export function beginWithLimits(leaseMs: number): string {
  const l = sessionLimits(leaseMs);
  return `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${l.idleInTxMs}; SET LOCAL lock_timeout = ${l.lockMs};`
    + ` SET LOCAL statement_timeout = ${l.statementMs}; SET LOCAL enable_seqscan = off`;
}
