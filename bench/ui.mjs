// Case 6: the browser host's page with many tasks in the store, in Debian's Chromium (playwright-core).
// Time until the task list first shows rows, and the frame times of a scroll from top to bottom.

// firstRowsProbe and scrollProbe run in the page, not in Node:
/* global window, document, MutationObserver, requestAnimationFrame */

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, log, median, percentile, round } from './lib.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * Whether dist/renderer is a development build. `npm run build` under NODE_ENV=test (vitest's global
 * setup does that) or development makes one: Vue's dev checks and vue-i18n's performance.mark() per
 * translated string, which double the frame times of a fast scroll.
 */
export function rendererBuild() {
  const dir = path.join(ROOT, 'dist', 'renderer', 'assets');
  const scripts = fs.readdirSync(dir).filter((f) => f.endsWith('.js'));
  const dev = scripts.some((f) => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    return text.includes('intlify-message-resolve-start') || text.includes('[Vue warn]');
  });
  return dev ? 'development' : 'production';
}

/** A store of `count` tasks in the shapes the list shows: mostly completed, some failed and paused. */
async function seedStore(dataDir, count, fileBase) {
  const { openStore } = await import(new URL('../dist/src-main/core/store.js', import.meta.url).href);
  const store = openStore(dataDir);
  const start = Date.now() - count * 1000;
  const kinds = ['bin', 'png', 'mp4', 'mp3', 'zip'];
  for (let i = 0; i < count; i += 1) {
    const ext = kinds[i % kinds.length];
    const name = `file-${String(i).padStart(5, '0')}.${ext}`;
    const createdAt = start + i * 1000;
    const base = {
      token: randomUUID(),
      url: `${fileBase}/${name}`,
      headers: {},
      profileId: 'desktop',
      storage: 'cache',
      listenerRule: 'all',
      createdAt,
      updatedAt: createdAt + 500,
    };
    const r = i % 20;
    if (r < 16) {
      store.putTask({
        ...base,
        state: 'completed',
        bytes: 65536 + i,
        total: 65536 + i,
        name,
        uri: `internal://cache/${name}`,
        path: path.join(dataDir, 'cache', name),
        completedAt: createdAt + 500,
      });
    } else if (r < 18) {
      store.putTask({ ...base, state: 'failed', bytes: 1000, total: 65536, code: 1000, message: 'HTTP status 503 (gave up after 5 attempts)', completedAt: createdAt + 500 });
    } else {
      store.putTask({ ...base, state: 'paused', bytes: 4096 * (i % 16), total: 65536 });
    }
  }
  store.flush();
}

function startHost(dataDir, home) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'vela-companion.js'), 'serve', '--data-dir', dataDir, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') },
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 30 s: ${err}`)), 30_000);
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve({
          url: out.split('\n')[0].trim(),
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.stderr.on('data', (c) => (err += c));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${err}`));
    });
  });
}

/** Runs in the page before its own scripts: notes when the first task row exists and when that frame comes. */
function firstRowsProbe() {
  const bench = (window.__bench = {});
  const seen = () => document.querySelector('[data-testid="task-list"] [data-testid="task-row"]');
  const observer = new MutationObserver(() => {
    if (!seen()) return;
    observer.disconnect();
    bench.rowsInDomMs = performance.now();
    requestAnimationFrame(() => {
      bench.firstRowsMs = performance.now();
      bench.rows = document.querySelectorAll('[data-testid="task-row"]').length;
    });
  });
  observer.observe(document, { childList: true, subtree: true });
}

/** Scrolls the task list from top to bottom in `frames` steps, one per animation frame; returns frame times. */
function scrollProbe(frames) {
  const list = document.querySelector('[data-testid="task-list"]');
  const max = list.scrollHeight - list.clientHeight;
  const step = Math.max(1, max / frames);
  list.scrollTop = 0;
  return new Promise((resolve) => {
    const deltas = [];
    let last;
    const tick = (ts) => {
      deltas.push(ts - last);
      last = ts;
      if (list.scrollTop >= max - 1) {
        // Let the last position render, then check that its rows are there.
        requestAnimationFrame(() => {
          const rows = [...list.querySelectorAll('[data-testid="task-row"]')];
          resolve({ deltas, max, step, count: Number(list.dataset.count), rowsAtEnd: rows.length, lastRowToken: rows.at(-1)?.dataset.token ?? null });
        });
        return;
      }
      list.scrollTop = Math.min(max, list.scrollTop + step);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(() =>
      requestAnimationFrame((ts) => {
        last = ts;
        list.scrollTop = Math.min(max, step);
        requestAnimationFrame(tick);
      }),
    );
  });
}

/**
 * @returns {Promise<{ui_first_rows_ms:number|null, ui_scroll_p95_frame_ms:number|null, raw:object}>}
 */
export async function uiBench({ scratch, tasks, runs, warmup, frames }) {
  if (!fs.existsSync(CHROMIUM)) {
    log(`case 6 skipped: no Chromium at ${CHROMIUM} (Debian: sudo apt-get install chromium, or set CHROMIUM_PATH)`);
    return { ui_first_rows_ms: null, ui_scroll_p95_frame_ms: null, raw: { skipped: 'no chromium' } };
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'renderer', 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build`');
  const build = rendererBuild();
  if (build === 'development') log('warning: dist/renderer is a development build (built under NODE_ENV=test or development): case 6 measures that');
  const dataDir = path.join(scratch, 'ui-data');
  const home = path.join(scratch, 'ui-home');
  fs.mkdirSync(home, { recursive: true });
  await seedStore(dataDir, tasks, 'http://127.0.0.1:9/files/ui');
  const host = await startHost(dataDir, home);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  const samples = [];
  try {
    for (let r = -warmup; r < runs; r += 1) {
      // A fresh context each time: no cache, no cookie, as when the printed URL is first opened.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
      const page = await context.newPage();
      await page.addInitScript(firstRowsProbe);
      const t0 = performance.now();
      await page.goto(host.url);
      await page.waitForFunction(() => window.__bench?.firstRowsMs !== undefined, undefined, { timeout: 60_000 });
      const wallMs = performance.now() - t0;
      const first = await page.evaluate(() => window.__bench);
      // The list must be whole (every task loaded) before scrolling it.
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="task-list"]')?.dataset.count) >= n, tasks, { timeout: 60_000 });
      await page.waitForTimeout(300);
      const scroll = await page.evaluate(scrollProbe, frames);
      const frameMs = scroll.deltas;
      const sample = {
        firstRowsMs: first.firstRowsMs,
        rowsInDomMs: first.rowsInDomMs,
        firstRowsWallMs: wallMs,
        rowsShown: first.rows,
        scrollFrames: frameMs.length,
        scrollTotalMs: frameMs.reduce((a, b) => a + b, 0),
        scrollMedianFrameMs: median(frameMs),
        scrollP95FrameMs: percentile(frameMs, 95),
        scrollMaxFrameMs: Math.max(...frameMs),
        scrollStepPx: scroll.step,
        listCount: scroll.count,
        rowsAtEnd: scroll.rowsAtEnd,
      };
      if (scroll.rowsAtEnd === 0) throw new Error('case 6: no rows shown at the bottom of the list');
      log(
        `  ui ${r < 0 ? 'warm-up' : `run ${r + 1}`}: first rows ${sample.firstRowsMs.toFixed(0)} ms (wall ${wallMs.toFixed(0)} ms),` +
          ` scroll ${frameMs.length} frames, p95 ${sample.scrollP95FrameMs.toFixed(1)} ms, max ${sample.scrollMaxFrameMs.toFixed(1)} ms`,
      );
      if (r >= 0) samples.push(sample);
      await context.close();
    }
  } finally {
    await browser.close().catch(() => undefined);
    await host.stop();
  }
  if (rendererBuild() !== build) log('warning: dist/renderer was rebuilt while case 6 ran (another build on this machine): its figures mix two builds');
  const pick = (key) => samples.map((s) => s[key]);
  return {
    ui_first_rows_ms: round(median(pick('firstRowsMs')), 1),
    ui_scroll_p95_frame_ms: round(median(pick('scrollP95FrameMs')), 1),
    raw: {
      renderer_build: build,
      tasks,
      runs: samples.length,
      framesPerScroll: frames,
      first_rows_ms_median: round(median(pick('firstRowsMs')), 1),
      first_rows_wall_ms_median: round(median(pick('firstRowsWallMs')), 1),
      rows_in_dom_ms_median: round(median(pick('rowsInDomMs')), 1),
      scroll_p95_frame_ms_median: round(median(pick('scrollP95FrameMs')), 1),
      scroll_median_frame_ms_median: round(median(pick('scrollMedianFrameMs')), 1),
      scroll_max_frame_ms_median: round(median(pick('scrollMaxFrameMs')), 1),
      scroll_total_ms_median: round(median(pick('scrollTotalMs')), 0),
      samples: samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === 'number' ? round(v, 1) : v]))),
    },
  };
}
