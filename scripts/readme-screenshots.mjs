#!/usr/bin/env node
// Copies the README's screenshots from the last end-to-end run (test/e2e/screenshots/, written by
// `npm test`) into docs/screenshots/, under the names the README uses. Run it after `npm test`:
//   node scripts/readme-screenshots.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'test', 'e2e', 'screenshots');
const to = path.join(root, 'docs', 'screenshots');

/** README name ← the scenario's screenshot (the scenario that takes it, for finding it again). */
const SHOTS = {
  'downloads-queue.png': 'queue-running-first.png', // test/e2e/daily.test.ts: status bar, active profile, bulk bar
  'retrying-row.png': 'retrying-row.png', // test/e2e/resume-retry.test.ts: "Retrying in N s (attempt k of n)"
  'media-grid.png': 'media-grid.png', // test/e2e/app.test.ts
  'media-viewer.png': 'media-viewer.png', // test/e2e/media-daily.test.ts
  'devices-redmi-watch-4.png': 'devices-redmi-watch-4.png', // test/e2e/app.test.ts
  'api-console.png': 'api-console.png', // test/e2e/app.test.ts
  'chinese.png': 'chinese.png', // test/e2e/app.test.ts
};

let missing = 0;
for (const [name, source] of Object.entries(SHOTS)) {
  const file = path.join(from, source);
  if (!fs.existsSync(file)) {
    console.error(`missing ${path.relative(root, file)}: run npm test first`);
    missing += 1;
    continue;
  }
  fs.copyFileSync(file, path.join(to, name));
  console.log(`docs/screenshots/${name} ← ${source}`);
}
process.exitCode = missing > 0 ? 1 : 0;
