#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4 --heap-growing-percent=20 --single-threaded-gc
// V8 and malloc settings, measured on the bench (bench/README.md), that only a launcher can make (a runtime
// v8.setFlagsFromString has no effect):
// - V8 heaps: a 4 MB young generation, and old generations that grow by 20% at a time instead of up to
//   4x: ~40 MB less peak RSS on a 10,000-page crawl, ~3% slower than node's defaults.
// - --single-threaded-gc: each thread collects its own garbage instead of handing work to V8's helper
//   threads. On 2 cores, with the main, parse and SQLite writer threads already busy, the helpers only
//   competed with them: ~6% more pages/s and ~5% less CPU on the 10,000-page bench (4 runs each).
// - glibc malloc: a fixed mmap threshold (its default value, 128 KB) instead of one that rises after
//   large blocks are freed, so message and body buffers go back to the OS: ~60 MB less on the 1M-URL
//   frontier crawl.
// Every documented way to run crawl (npx, npm link, npm run crawl, ./bin/crawl.js) starts through this line.
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the `prepare` script).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  process.stderr.write(`crawl: cannot start: ${err && err.stack ? err.stack : err}\nRun "npm install" (it builds dist/) and try again.\n`);
  process.exit(70);
});
