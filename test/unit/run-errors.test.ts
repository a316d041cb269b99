/**
 * A run that meets an internal error (runs.ts): a bug, or a listener of the engine's events that
 * throws after the task's state has moved. A finished task keeps its state (a completed file is never
 * relabelled failed: the state table refuses that move, and its error used to escape the run as an
 * unhandled rejection); its listeners get its own outcome; a task still running fails with 1000.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TaskRecord } from '../../src-shared/types.js';
import { createHarness, rejection, waitFor, type EngineHarness } from '../helpers/engine.js';
import { randomBytesSeeded, sha256, sha256File, startServer, type TestServer } from '../helpers/server.js';

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

/** A 'task' listener that throws for the records `when` picks. */
function throwingListener(when: (task: TaskRecord) => boolean): void {
  h.engine.on('task', (task) => {
    if (when(task)) throw new Error('a listener broke');
  });
}

it('a listener that throws once the task completed: it stays completed, is answered, and the error is reported', async () => {
  const body = randomBytesSeeded(100_000, 1);
  server.setFile('/done.bin', { body });
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  process.on('warning', onWarning);
  try {
    throwingListener((task) => task.state === 'completed');
    const { token } = h.engine.download({ url: server.urlFor('/done.bin') });
    const result = await h.engine.whenDone(token);
    expect(await sha256File(result.path)).toBe(sha256(body));
    await waitFor(() => !h.engine.busy, 'the run over');
    expect(h.engine.get(token)).toMatchObject({ state: 'completed', path: result.path });
    expect(h.engine.get(token).code).toBeUndefined();
    await waitFor(() => warnings.length > 0, 'the warning');
    expect(warnings[0]).toMatchObject({ code: 'VELA_INTERNAL', message: expect.stringMatching(/ended completed: a listener broke/) });
  } finally {
    process.off('warning', onWarning);
  }
});

it('a listener that throws once the task failed: it keeps its own failure', async () => {
  server.setFile('/gone.bin', { body: Buffer.from('x'), status: 404 });
  throwingListener((task) => task.state === 'failed');
  const { token } = h.engine.download({ url: server.urlFor('/gone.bin') });
  expect(await rejection(h.engine.whenDone(token))).toEqual({ code: 1000, message: 'HTTP status 404' });
  await waitFor(() => !h.engine.busy, 'the run over');
  expect(h.engine.get(token)).toMatchObject({ state: 'failed', message: 'HTTP status 404' });
});

it('an internal error while the task runs fails it with 1000', async () => {
  server.setFile('/flaky.bin', { body: randomBytesSeeded(10_000, 2), statusSequence: [503] });
  throwingListener((task) => task.state === 'running' && /retrying/.test(task.message ?? ''));
  const { token } = h.engine.download({ url: server.urlFor('/flaky.bin') });
  expect(await rejection(h.engine.whenDone(token))).toEqual({ code: 1000, message: 'internal error: a listener broke' });
  expect(h.engine.get(token).state).toBe('failed');
});
