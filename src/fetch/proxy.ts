/**
 * Proxy support: undici's EnvHttpProxyAgent, loaded only when a proxy is configured (--proxy, or
 * HTTP_PROXY / HTTPS_PROXY in the environment), so a crawl without one keeps the light Agent import
 * of undici-agent.ts. NO_PROXY (or no_proxy) names hosts reached directly.
 *
 * Plain-http URLs go to the proxy as absolute-URI requests (as curl does); https URLs through a
 * CONNECT tunnel, TLS end to end. Hosts reached directly keep the private-address guard in the
 * connector's DNS lookup; through a proxy the proxy resolves names, so only IP-literal URLs (and
 * localhost names) are checked here — see UndiciFetcher.check().
 */
import { createRequire } from 'node:module';
import type { Agent, Dispatcher } from 'undici';

const require = createRequire(import.meta.url);

/** The proxy URL in effect, from --proxy or the environment, or null (no proxy agent loaded). */
export function proxyInEffect(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  return explicit ?? env.https_proxy ?? env.HTTPS_PROXY ?? env.http_proxy ?? env.HTTP_PROXY ?? null;
}

/** An EnvHttpProxyAgent with our Agent options; `explicit` (--proxy) wins over the environment for both schemes. */
export function createProxyAgent(agentOpts: Agent.Options, explicit: string | undefined): Dispatcher {
  // ProxyAgent opens CONNECT tunnels with dispatcher.connect(), which undici's index adds to
  // Dispatcher.prototype (Object.assign(Dispatcher.prototype, api)). We skip the index, so we add
  // that one method the same way.
  const DispatcherClass = require('undici/lib/dispatcher/dispatcher.js') as { prototype: Record<string, unknown> };
  DispatcherClass.prototype.connect ??= require('undici/lib/api/api-connect.js') as unknown;
  const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent.js') as new (opts: object) => Dispatcher;
  const Client = require('undici/lib/dispatcher/client.js') as new (url: URL, opts: object) => Dispatcher;
  return new EnvHttpProxyAgent({
    ...agentOpts,
    clientFactory: (url: URL, opts: object) => noConnectLoop(new Client(url, opts)),
    ...(explicit ? { httpProxy: explicit, httpsProxy: explicit } : {}),
    proxyTunnel: false,
  });
}

/**
 * undici 7 bug (nodejs/undici#3897, fixed upstream by #5441, not in 7.30): when a proxy closes the
 * connection during CONNECT, the UND_ERR_SOCKET error counts as recoverable and the client
 * reconnects in a tight loop that the request's abort signal does not stop, so the fetch never
 * settles. Re-raising it under another code (the one upstream's fix uses) fails the request instead.
 */
function noConnectLoop(client: Dispatcher): Dispatcher {
  const c = client as unknown as { connect: (params: object, cb?: unknown) => Promise<unknown> };
  const connect = c.connect.bind(client);
  c.connect = (params: object, cb?: unknown) => {
    if (cb) return connect(params, cb);
    return connect(params).catch((err: { code?: string; message?: string }) => {
      if (err?.code !== 'UND_ERR_SOCKET') throw err;
      throw Object.assign(new Error(`proxy closed the connection during CONNECT: ${err.message ?? ''}`), { code: 'UND_ERR_PRX_CONN', cause: err });
    });
  };
  return client;
}
