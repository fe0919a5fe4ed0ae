/**
 * Which Chromium to drive: --browser PATH, else chromium / chromium-browser / google-chrome on PATH,
 * else the browser Playwright installed (`npx playwright install chromium`). None found is bad
 * input (exit 2), with the command that installs one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BadInputError } from '../errors.js';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The browser to launch; throws BadInputError naming the fix when there is none. */
export function findBrowser(given: string | undefined, pathVar = process.env.PATH ?? ''): string {
  if (given !== undefined) {
    if (executable(given)) return path.resolve(given);
    throw new BadInputError(`--browser ${given}: no executable there; give the path of chromium or google-chrome (Debian/Ubuntu: apt-get install chromium)`);
  }
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    for (const name of NAMES) if (executable(path.join(dir, name))) return path.join(dir, name);
  }
  let installed: string | undefined;
  try { installed = chromium.executablePath(); } catch { /* Playwright knows of no build */ }
  if (installed && executable(installed)) return installed;
  throw new BadInputError('--render needs a Chromium browser and none was found on PATH (chromium, chromium-browser, google-chrome): '
    + 'install one (Debian/Ubuntu: apt-get install chromium) or give its path with --browser PATH');
}
