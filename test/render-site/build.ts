/**
 * Bundles the test site's apps (./apps.ts) with esbuild at test time: a browser bundle per
 * framework and kind (client-rendered, hydrating), and a server renderer per framework, loaded
 * here to render the server-side pages.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { ROOT } from '../helpers/cli.js';
import { APPS, type Framework } from './apps.js';

export interface Bundles {
  /** Browser bundles: `${fw}-csr.js`, `${fw}-hydrate.js`. */
  client: Map<string, Buffer>;
  /** Server renderers: page data in, HTML of the app's root element out. */
  server: Map<Framework, (d: unknown) => Promise<string> | string>;
}

const DEFINE = {
  'process.env.NODE_ENV': '"production"', __VUE_OPTIONS_API__: 'true', __VUE_PROD_DEVTOOLS__: 'false',
  __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
};

/** Resolves the import 'app' to the framework's shared component. */
function appPlugin(fw: Framework): esbuild.Plugin {
  return {
    name: 'app',
    setup(b) {
      b.onResolve({ filter: /^app$/ }, () => ({ path: fw, namespace: 'app' }));
      b.onLoad({ filter: /.*/, namespace: 'app' }, () => ({ contents: APPS[fw].app, resolveDir: ROOT, loader: 'js' }));
    },
  };
}

async function bundle(fw: Framework, source: string, platform: 'browser' | 'node'): Promise<Buffer> {
  const r = await esbuild.build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'js' }, bundle: true, write: false, minify: platform === 'browser',
    format: platform === 'node' ? 'esm' : 'iife', platform, define: DEFINE, plugins: [appPlugin(fw)], logLevel: 'silent',
    ...(platform === 'node' ? { packages: 'external' as const } : {}),
  });
  return Buffer.from(r.outputFiles[0].contents);
}

let built: Promise<Bundles> | undefined;

/** Builds every bundle once per process. */
export function buildBundles(): Promise<Bundles> {
  built ??= (async () => {
    const client = new Map<string, Buffer>();
    const server = new Map<Framework, (d: unknown) => Promise<string> | string>();
    for (const fw of Object.keys(APPS) as Framework[]) {
        const [csr, hydrate, ssr] = await Promise.all([bundle(fw, APPS[fw].csr, 'browser'), bundle(fw, APPS[fw].hydrate, 'browser'), bundle(fw, APPS[fw].server, 'node')]);
        client.set(`${fw}-csr.js`, csr);
        client.set(`${fw}-hydrate.js`, hydrate);
        // The server bundle imports react/vue/preact from the repository's node_modules: it is written there.
        const file = path.join(ROOT, 'node_modules', `.render-site-${fw}-${process.pid}.mjs`);
        fs.writeFileSync(file, ssr);
        try {
          server.set(fw, ((await import(pathToFileURL(file).href)) as { render: (d: unknown) => string }).render);
        } finally {
          fs.rmSync(file, { force: true });
        }
    }
    return { client, server };
  })();
  return built;
}
