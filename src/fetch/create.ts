/**
 * Builds the run's fetcher from resolved options: request settings (headers, auth, cookies),
 * proxy, and the WARC archive when --warc is given. The one place crawl() needs to call.
 */
import fs from 'node:fs';
import type { LookupFunction } from 'node:net';
import type { ResolvedOptions } from '../options/options.js';
import { UndiciFetcher } from './fetcher.js';
import { RequestSettings } from './request-settings.js';

export interface CreateFetcherInit {
  /** The run's seeds: --header Authorization/Cookie values go to their origins only. */
  seeds: string[];
  /** The private-network guard's exemption (see FetcherOptions.allowPrivateHost). */
  allowPrivateHost: (hostname: string) => boolean;
  /** Test hook: base DNS lookup. */
  lookup?: LookupFunction;
}

/** The fetcher for a run; closing it also finishes and closes the WARC file. */
export async function createFetcher(opts: ResolvedOptions, init: CreateFetcherInit): Promise<UndiciFetcher> {
  const settings = await RequestSettings.create(opts, init.seeds);
  let archive;
  if (opts.warc !== undefined) {
    const { WarcWriter } = await import('../warc/writer.js');
    const { version } = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    archive = await WarcWriter.open({
      dir: opts.warc, prefix: opts.warcPrefix, maxSize: opts.warcMaxSize, keepAuth: opts.warcKeepAuth,
      info: {
        software: `crawl/${version}`, format: 'WARC File Format 1.1',
        conformsTo: 'http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/',
        robots: opts.ignoreRobots ? 'ignore' : 'obey', 'http-header-user-agent': opts.userAgent,
      },
    });
  }
  return new UndiciFetcher({
    userAgent: opts.userAgent, perHost: opts.perHost, connectTimeoutMs: opts.connectTimeoutMs, headersTimeoutMs: opts.headersTimeoutMs,
    bodyTimeoutMs: opts.bodyTimeoutMs, totalTimeoutMs: opts.totalTimeoutMs, maxBytes: opts.maxBytes,
    allowPrivateHost: init.allowPrivateHost, proxy: opts.proxy,
  }, { lookup: init.lookup, settings, archive });
}
