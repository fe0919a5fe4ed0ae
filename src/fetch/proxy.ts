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
  const EnvHttpProxyAgent = require('undici/lib/dispatcher/env-http-proxy-agent.js') as new (opts: object) => Dispatcher;
  return new EnvHttpProxyAgent({
    ...agentOpts,
    ...(explicit ? { httpProxy: explicit, httpsProxy: explicit } : {}),
    proxyTunnel: false,
  });
}
