#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (the `prepare` script).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  process.stderr.write(`crawl: cannot start: ${err && err.stack ? err.stack : err}\nRun "npm install" (it builds dist/) and try again.\n`);
  process.exit(70);
});
