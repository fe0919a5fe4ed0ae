/**
 * The layout's rules, read from the source: no file imports from a layer above its own, no import
 * circles, no src file over 300 lines. The layers, lowest first (a file may import its own layer
 * and the ones below):
 *
 *   0 base      errors, units, transfer, options and their specs and types
 *   1 url       URL normalization, scope, hosts
 *   2 stages    fetch, parse, polite, frontier, store, warc: the pipeline's stages and ports
 *   3 drivers   crawler (the loop), report, reparse, log: they put the stages together, and say how a run goes
 *   4 entry     cli, demo, index.ts: what a user runs or imports
 *
 * Below the entry layer, only src/store/ names a backend (store/sqlite/, store/postgres/,
 * store/memory/): the crawler, the reports and reparse reach one through the store's ports.
 *
 * Type-only imports count (a type is an arrow in the design too); `import()` of a module that a
 * command loads only when it runs counts for the layers but not for circles (nothing is loaded
 * twice half-initialised). The graph is printed with `node dist/test/layering.test.js --graph`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/cli.js';

const SRC = path.join(ROOT, 'src');

const LAYERS: [number, RegExp][] = [
  [0, /^(errors|units|transfer|options|option-specs|option-types|request-options)\.ts$|^options\//],
  [1, /^url\//],
  [2, /^(fetch|parse|polite|frontier|store|warc)\//],
  [3, /^(crawler|report|reparse|render|log)\//],
  [4, /^(cli|demo)\/|^index\.ts$/],
];

const LAYER_NAMES = ['base', 'url', 'stages', 'drivers', 'entry'];

function layerOf(file: string): number {
  const hit = LAYERS.find(([, re]) => re.test(file));
  if (!hit) throw new Error(`${file} is in no layer: add its folder to LAYERS in test/layering.test.ts`);
  return hit[0];
}

function sourceFiles(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

interface Edge { to: string; dynamic: boolean }

/** The relative imports of a file: static (import/export … from, type ones too) and import('…'). */
function importsOf(file: string): Edge[] {
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const edges: Edge[] = [];
  const add = (spec: string, dynamic: boolean) => {
    if (!spec.startsWith('.')) return;
    const to = path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts');
    edges.push({ to, dynamic });
  };
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]/gm)) add(m[1], false);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) add(m[1], false);
  // import('…') in code is lazy; in a type position (import('…').Name) it is a type reference.
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)(\.)?/g)) add(m[1], m[2] === undefined);
  return edges;
}

const files = sourceFiles().map((f) => path.relative(SRC, f));
const graph = new Map(files.map((f) => [f, importsOf(path.join(SRC, f))]));

test('every src file belongs to a layer, and imports only from its own layer or below', () => {
  const upward: string[] = [];
  for (const [from, edges] of graph) {
    for (const { to } of edges) {
      if (!graph.has(to)) continue; // a .js file or a non-source path: not ours to check
      if (layerOf(to) > layerOf(from)) upward.push(`${from} (${LAYER_NAMES[layerOf(from)]}) imports ${to} (${LAYER_NAMES[layerOf(to)]})`);
    }
  }
  assert.deepEqual(upward, [], 'imports from a layer above');
});

test('below the entry layer, only the store names a backend: the rest goes through its ports', () => {
  const named: string[] = [];
  for (const [from, edges] of graph) {
    if (from.startsWith('store/') || layerOf(from) === 4) continue;
    for (const { to } of edges) if (/^store\/(sqlite|postgres|memory)\//.test(to)) named.push(`${from} imports ${to}`);
  }
  assert.deepEqual(named, []);
});

test('no import circles (static imports, type-only ones included)', () => {
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const { to, dynamic } of graph.get(f) ?? []) {
      if (dynamic || !graph.has(to)) continue;
      if (state.get(to) === 'open') circles.push([...stack.slice(stack.indexOf(to)), to].join(' -> '));
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(circles, [], 'import circles');
});

test('no src file is over 300 lines', () => {
  const long = files.map((f) => [f, fs.readFileSync(path.join(SRC, f), 'utf8').split('\n').length - 1] as const).filter(([, n]) => n > 300);
  assert.deepEqual(long.map(([f, n]) => `${f}: ${n} lines`), []);
});

if (process.argv.includes('--graph')) {
  for (const [from, edges] of [...graph].sort()) {
    process.stdout.write(`${from} [${LAYER_NAMES[layerOf(from)]}]\n${edges.map((e) => `  -> ${e.to}${e.dynamic ? ' (when run)' : ''}\n`).join('')}`);
  }
}
