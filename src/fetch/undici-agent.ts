/**
 * undici's Agent and its request(), loaded from their own modules instead of undici's index.
 *
 * The index loads every feature of undici (fetch, WebSocket, EventSource, caches, mocks, proxy and
 * retry agents) although a crawl uses one Agent: loading only these two measured 10-18 MB less peak
 * RSS and ~50 ms less start-up on a one-page crawl (importing the index alone takes ~72 ms).
 * The paths are undici's own layout since 6.0; its package.json has no "exports" map, so they are
 * public to Node's resolver. Every fetch test goes through them, so a layout change fails `npm test`.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

const require = createRequire(import.meta.url);

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
export type Agent = UndiciAgent;

const requestImpl = require('undici/lib/api/api-request.js') as (
  this: Dispatcher, opts: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

/** `agent.request(opts)`: undici's index is what adds request() to Dispatcher.prototype. */
export function request(agent: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestImpl.call(agent, opts);
}
