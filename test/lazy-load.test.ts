/**
 * What a process loads decides its start-up CPU, paid by every worker of a shared run and by every
 * cron run. Playwright loads only for a crawl that renders: at 0.2 core, a worker's first request came
 * 5.2–5.7 s after its start with it, 2.5–2.8 s without (bench/results/2026-12-07-session10-ab.md).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers/cli.js';

/** The CommonJS packages (by name) loaded once `modules` are imported, in a fresh process. */
function packagesLoadedBy(...modules: string[]): string[] {
  const urls = modules.map((m) => JSON.stringify(pathToFileURL(path.join(ROOT, 'dist', m)).href));
  const code = `import { createRequire } from 'node:module';
    ${urls.map((u) => `await import(${u});`).join('\n')}
    const names = Object.keys(createRequire(import.meta.url).cache).map((f) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })) as string[];
}

test('a crawl that does not render never loads Playwright; the render stage does', () => {
  assert.ok(!packagesLoadedBy('src/crawler/crawl.js', 'src/cli/main.js').includes('playwright-core'));
  assert.ok(packagesLoadedBy('src/render/stage.js').includes('playwright-core'), 'the check sees Playwright where it is loaded');
});
