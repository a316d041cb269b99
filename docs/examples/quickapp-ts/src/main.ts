/**
 * The page outside a test runner, for a quick look from the terminal:
 *
 *     VELA_DEVICE=watch-s4 VELA_DATA_DIR=./.vela \
 *       node --import tsx --import vela-companion/register src/main.ts http://127.0.0.1:8080/face.bin
 *
 * `tsx` runs the TypeScript, `vela-companion/register` gives it `@system.request`. The process exits
 * by itself once the download is done.
 */
import { createFacePage } from './watch-face.js';

const url = process.argv[2];
if (!url) {
  console.error('usage: node --import tsx --import vela-companion/register src/main.ts <url of a watch face>');
  process.exit(2);
}

createFacePage({
  moveOn: (uri) => console.log(`ready ${uri}`),
  showError: (message, code) => {
    console.log(`failed ${code}: ${message}`);
    process.exitCode = 1;
  },
}).install(url);
