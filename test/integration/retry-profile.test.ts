import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FailCode } from '../../src-shared/codes.js';
import type { Reply } from '../../src-shared/channels.js';
import type { TaskRecord } from '../../src-shared/types.js';
import { createRouter } from '../../src-main/router/handlers.js';
import type { Router } from '../../src-main/router/router.js';
import { createHarness, waitFor, type EngineHarness } from '../helpers/engine.js';
import { randomBytesSeeded, startServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 10, point 4: Retry reused the task's old profile silently. `tasks.retry` takes an optional
 * `device`: the window offers the task's own profile or the active one.
 */
let h: EngineHarness;
let server: TestServer;
let router: Router;

beforeEach(async () => {
  server = await startServer();
  h = createHarness();
  router = createRouter(h.engine, () => ({ pid: process.pid, dataDir: h.dir, version: 'test' }));
});

afterEach(async () => {
  await h.close();
  await server.close();
});

const ok = <T>(reply: Reply<unknown>): T => {
  if (!reply.ok) throw new Error(`refused: ${reply.error.code} ${reply.error.message}`);
  return reply.value as T;
};

async function failedUnder(device: string): Promise<string> {
  const { token } = ok<{ token: string }>(await router.call('download.start', { url: server.urlFor('/later.bin'), device }));
  await waitFor(() => h.engine.get(token).state === 'failed', 'the task to fail');
  return token;
}

describe('retry under another device profile', () => {
  it('runs the task under the profile asked for, with that profile’s rules, and keeps its token', async () => {
    h.profile('mass-watch', {}, { storage: 'mass', listenerRule: 'last' });
    const token = await failedUnder('watch-s4');
    expect(h.engine.get(token).profileId).toBe('watch-s4');

    const body = randomBytesSeeded(20_000, 1);
    server.setFile('/later.bin', { body });
    const retried = ok<TaskRecord>(await router.call('tasks.retry', { token, device: 'mass-watch' }));
    expect(retried).toMatchObject({ token, profileId: 'mass-watch', storage: 'mass', listenerRule: 'last' });
    expect(['queued', 'running']).toContain(retried.state);
    const result = await h.engine.whenDone(token);
    expect(result.uri).toBe('internal://mass/download/later.bin');
    expect(h.engine.get(token).profileId).toBe('mass-watch');
  });

  it('without a device, retries under the task’s own profile', async () => {
    const token = await failedUnder('watch-s4');
    await h.engine.updateSettings({ activeProfile: 'desktop' });
    const retried = ok<TaskRecord>(await router.call('tasks.retry', { token }));
    expect(retried.profileId).toBe('watch-s4');
  });

  it('refuses a profile that cannot download (203) or does not exist (202), and changes nothing', async () => {
    const token = await failedUnder('watch-s4');
    const unsupported = await router.call('tasks.retry', { token, device: 'redmi-watch-4' });
    expect(unsupported.ok ? 0 : unsupported.error.code).toBe(FailCode.NotSupported);
    const unknown = await router.call('tasks.retry', { token, device: 'no-such-watch' });
    expect(unknown.ok ? 0 : unknown.error.code).toBe(FailCode.IllegalArgument);
    expect(h.engine.get(token)).toMatchObject({ state: 'failed', profileId: 'watch-s4' });
  });

  it('a retry refused for its link or headers (202) leaves the profile as it was', async () => {
    const token = await failedUnder('watch-s4');
    const badHeader = await router.call('tasks.retry', { token, device: 'desktop', header: { 'bad name': 'x' } });
    expect(badHeader.ok ? 0 : badHeader.error.code).toBe(FailCode.IllegalArgument);
    const badUrl = await router.call('tasks.retry', { token, device: 'desktop', url: 'ftp://example.com/x.bin' });
    expect(badUrl.ok ? 0 : badUrl.error.code).toBe(FailCode.IllegalArgument);
    expect(h.engine.get(token)).toMatchObject({ state: 'failed', profileId: 'watch-s4' });
  });

  it('refuses a task that cannot be retried before touching its profile', async () => {
    server.setFile('/slow.bin', { body: randomBytesSeeded(200_000, 2), bytesPerSecond: 50_000 });
    const { token } = ok<{ token: string }>(await router.call('download.start', { url: server.urlFor('/slow.bin'), device: 'watch-s4' }));
    const reply = await router.call('tasks.retry', { token, device: 'desktop' });
    expect(reply.ok).toBe(false);
    expect(h.engine.get(token).profileId).toBe('watch-s4');
  });
});
