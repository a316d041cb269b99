/**
 * Fault injection by load: 1,000 tokens at once, with concurrency 16, each with several listeners
 * (the engine's `whenDone` and the quick-app adapter's `onDownloadComplete`, callbacks and Promise
 * style), registered while the task is queued, running or already finished, plus failing (404) tasks.
 * Every listener must be answered exactly once: `success` and `complete` once each (or `fail` with
 * 1000 and `complete`), none twice, none missing (API.md §1).
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRouter } from '../../src-main/router/handlers.js';
import { localBridge } from '../../src-main/router/router.js';
import { FailCode } from '../../src-shared/codes.js';
import { createQuickAppRequest, type QuickAppRequest } from '../../src-shared/quickapp.js';
import { createHarness, type EngineHarness } from '../helpers/engine.js';
import { startServer, type TestServer } from '../helpers/server.js';

const TOKENS = 1000;
const CONCURRENCY = 16;
/**
 * What happens to task i: every 50th (20) asks for a path the server does not have (404 → 1000); a
 * few of those started on the engine directly are cancelled (1000 "cancelled") or removed (1001) just
 * after their listeners were added, while queued or running.
 */
type Fate = 'completes' | 'fails' | 'cancelled' | 'removed';
const fateOf = (i: number): Fate => {
  if (i % 50 === 7) return 'fails';
  if (i % 3 === 0 && i % 50 === 21) return 'cancelled';
  if (i % 3 === 0 && i % 50 === 33) return 'removed';
  return 'completes';
};
const fails = (i: number): boolean => fateOf(i) === 'fails';

let h: EngineHarness;
let server: TestServer;

beforeEach(async () => {
  server = await startServer();
  h = createHarness();
});

afterEach(async () => {
  await h.close();
  await server.close();
});

/** Everything one listener was told, in order. */
type Heard = string[];

describe(`${TOKENS} tokens at once, concurrency ${CONCURRENCY}`, () => {
  it('answers every listener exactly once: engine whenDone, adapter callbacks and adapter Promises, early and late, with 404s, cancels and removals', async () => {
    h.engine.updateSettings({ concurrency: CONCURRENCY });
    const router = createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' }));
    const callbackErrors: unknown[] = [];
    const request: QuickAppRequest = createQuickAppRequest(localBridge(router), { onCallbackError: (e) => callbackErrors.push(e) });
    for (let i = 0; i < TOKENS; i++) if (!fails(i)) server.setFile(`/t/${i}.txt`, { body: Buffer.from(`tiny file ${i}\n`) });
    const urlOf = (i: number): string => server.urlFor(fails(i) ? `/missing/${i}.txt` : `/t/${i}.txt`);

    /** listener id → what it heard; `pending` resolves when each listener has heard its last word. */
    const heard = new Map<string, Heard>();
    const pending: Array<Promise<void>> = [];
    const listener = (id: string): Heard => {
      expect(heard.has(id), `listener id ${id} reused`).toBe(false);
      const log: Heard = [];
      heard.set(id, log);
      return log;
    };
    /** Callbacks that log, with a Promise that resolves on `complete`. */
    const callbacks = <T>(id: string, show: (data: T) => string) => {
      const log = listener(id);
      let done!: () => void;
      pending.push(new Promise<void>((resolve) => (done = resolve)));
      return {
        success: (data: T) => void log.push(`success ${show(data)}`),
        fail: (data: string, code: number) => void log.push(`fail ${code}${data ? '' : ' (no message)'}`),
        complete: () => {
          log.push('complete');
          done();
        },
      };
    };
    const watchPromise = <T>(id: string, promise: Promise<T>, show: (value: T) => string): void => {
      const log = listener(id);
      pending.push(
        promise.then(
          (value) => void log.push(`resolve ${show(value)}`),
          (error: { code: number; message?: string; data?: string }) => void log.push(`reject ${error.code}${(error.message ?? error.data) ? '' : ' (no message)'}`),
        ),
      );
    };

    const uriOf = new Map<string, string>();
    const tokenOf: string[] = [];
    /** The listeners every token gets, as soon as its token is known (the task may be queued, running or done). */
    const listen = (i: number, token: string, phase: string): void => {
      tokenOf[i] = token;
      for (let k = 0; k < 3; k++) watchPromise(`${i} ${phase} whenDone ${k}`, h.engine.whenDone(token), (r) => r.uri);
      for (let k = 0; k < 2; k++) {
        request.onDownloadComplete({ token, ...callbacks<{ uri: string }>(`${i} ${phase} onDownloadComplete callbacks ${k}`, (d) => d.uri) });
      }
      watchPromise(`${i} ${phase} onDownloadComplete promise`, request.onDownloadComplete({ token })!, (r) => r.data.uri);
    };

    // Three ways to start: the engine directly, the adapter with callbacks, the adapter as a Promise.
    const started: Array<Promise<void>> = [];
    for (let i = 0; i < TOKENS; i++) {
      if (i % 3 === 0) {
        const { token } = h.engine.download({ url: urlOf(i) });
        listen(i, token, 'early');
        if (fateOf(i) === 'cancelled') h.engine.cancel(token);
        if (fateOf(i) === 'removed') started.push(h.engine.remove(token));
      } else if (i % 3 === 1) {
        const log = listener(`${i} download callbacks`);
        started.push(
          new Promise<void>((resolve) => {
            let token = '';
            request.download({
              url: urlOf(i),
              success: (data) => {
                log.push('success token');
                token = data.token;
              },
              fail: (_data, code) => void log.push(`fail ${code}`),
              complete: () => {
                log.push('complete');
                if (token) listen(i, token, 'early');
                resolve();
              },
            });
          }),
        );
      } else {
        const log = listener(`${i} download promise`);
        started.push(
          request.download({ url: urlOf(i) })!.then((r) => {
            log.push('resolve token');
            listen(i, r.data.token, 'early');
          }),
        );
      }
    }
    await Promise.all(started);
    expect(tokenOf.filter(Boolean)).toHaveLength(TOKENS);
    expect(new Set(tokenOf).size).toBe(TOKENS);

    // Wait for every answer, then once more for each token: late listeners answer at once.
    await Promise.all(pending);
    const early = pending.length;
    const stateOf: Record<Fate, string> = { completes: 'completed', fails: 'failed', cancelled: 'cancelled', removed: 'gone' };
    for (let i = 0; i < TOKENS; i++) {
      const token = tokenOf[i]!;
      const task = fateOf(i) === 'removed' ? undefined : h.engine.get(token);
      expect(task?.state ?? 'gone', `task ${i}`).toBe(stateOf[fateOf(i)]);
      if (task?.uri) uriOf.set(token, task.uri);
      listen(i, token, 'late');
    }
    await Promise.all(pending.slice(early));
    // Give a second (wrong) answer every chance to show up.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const problems: string[] = [];
    for (const [id, log] of heard) {
      const i = Number(id.split(' ')[0]);
      const token = tokenOf[i]!;
      const uri = uriOf.get(token);
      let want: string[];
      if (id.endsWith('download callbacks')) want = ['success token', 'complete'];
      else if (id.endsWith('download promise')) want = ['resolve token'];
      else if (fateOf(i) !== 'completes') {
        const code = fateOf(i) === 'removed' ? FailCode.TaskNotFound : FailCode.DownloadFailed;
        want = id.includes('callbacks') ? [`fail ${code}`, 'complete'] : [`reject ${code}`];
      } else want = id.includes('callbacks') ? [`success ${uri}`, 'complete'] : [`resolve ${uri}`];
      if (JSON.stringify(log) !== JSON.stringify(want)) problems.push(`${id}: heard ${JSON.stringify(log)}, want ${JSON.stringify(want)}`);
    }
    expect(problems.slice(0, 20), `${problems.length} listeners answered wrongly`).toEqual([]);
    expect(callbackErrors).toEqual([]);
    // Each token: 6 listeners early + 6 late; two in three were started through the adapter (1 more each).
    const viaAdapter = tokenOf.filter((_, i) => i % 3 !== 0).length;
    expect(heard.size).toBe(TOKENS * 12 + viaAdapter);

    // The work itself: every file exact, failures are the 404s with a message, the cap held.
    const fates = new Map<Fate, number>();
    for (let i = 0; i < TOKENS; i++) {
      const fate = fateOf(i);
      fates.set(fate, (fates.get(fate) ?? 0) + 1);
      if (fate === 'removed') {
        expect(() => h.engine.get(tokenOf[i]!)).toThrow(/does not exist/);
        continue;
      }
      const task = h.engine.get(tokenOf[i]!);
      if (fate === 'fails') expect(task, `task ${i}`).toMatchObject({ state: 'failed', code: 1000, message: 'HTTP status 404' });
      else if (fate === 'cancelled') expect(task, `task ${i}`).toMatchObject({ state: 'cancelled', code: 1000, message: 'cancelled' });
      else expect(fs.readFileSync(task.path!, 'utf8'), `task ${i}`).toBe(`tiny file ${i}\n`);
    }
    expect(Object.fromEntries(fates)).toEqual({ completes: TOKENS - 34, fails: 20, cancelled: 7, removed: 7 });
    expect(server.maxConcurrent).toBeLessThanOrEqual(CONCURRENCY);
    const requested = server.requests.filter((r) => r.method === 'GET').length;
    expect(requested).toBeLessThanOrEqual(TOKENS);
    expect(requested).toBeGreaterThanOrEqual(TOKENS - 14);
  }, 60_000);
});
