// @vitest-environment happy-dom
/**
 * The page after its event stream broke (issue 9, point 6): the banner says the connection to the
 * engine is lost; when the stream is back, the task list (and settings) are read again, so a task added
 * while no event could arrive shows up, and the banner says the list was refreshed. A refused secret (a
 * restarted `serve`) says to open the new link. The real engine behind the in-memory bridge; the test
 * plays the transport's part: it drops events while "offline" and reports connection changes.
 */
import { mount, type VueWrapper } from '@vue/test-utils';
import { getActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ConnectionBanner from '../../src-renderer/components/ConnectionBanner.vue';
import { setBridge } from '../../src-renderer/bridge.js';
import { i18n } from '../../src-renderer/i18n/index.js';
import { useConnection } from '../../src-renderer/stores/connection.js';
import { useDownloads } from '../../src-renderer/stores/downloads.js';
import { useSettings } from '../../src-renderer/stores/settings.js';
import type { Bridge, ConnectionChange } from '../../src-shared/channels.js';
import { createHarness, flush, type Harness } from './harness.js';

let h: Harness;
let wrapper: VueWrapper | undefined;
let online = true;
let tell: (change: ConnectionChange) => void = () => {};

beforeEach(() => {
  h = createHarness();
  online = true;
  const inner = h.bridge;
  const bridge: Bridge = {
    ...inner,
    // Events sent while the stream is down never arrive.
    on: (event, listener) => inner.on(event, (payload) => online && listener(payload)),
    onConnectionChange: (listener) => {
      tell = listener;
      return () => {
        tell = () => {};
      };
    },
  };
  setBridge(bridge);
});

afterEach(async () => {
  wrapper?.unmount();
  wrapper = undefined;
  useConnection().stop();
  useDownloads().stop();
  await h.close();
  i18n.global.locale.value = 'en';
});

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await flush(10);
  }
}

const banner = () => wrapper!.find('[data-testid="connection-banner"]');

describe('the connection banner and the reload after a break', () => {
  it('says the connection is lost, then reloads the list and says so when the stream is back', async () => {
    const connection = useConnection();
    connection.watch();
    const downloads = useDownloads();
    const settings = useSettings();
    await Promise.all([downloads.load(), settings.load()]);
    wrapper = mount(ConnectionBanner, { attachTo: document.body, global: { plugins: [getActivePinia()!, i18n] } });
    expect(banner().exists()).toBe(false);

    tell({ state: 'lost', attempt: 1, retryInMs: 500 });
    online = false;
    await flush();
    expect(banner().attributes('data-state')).toBe('lost');
    expect(banner().text()).toContain('Connection to the engine lost — reconnecting…');

    // Meanwhile a task is added (by the CLI, another window) and a setting changed: no event reaches the page.
    const token = h.engine.download({ url: 'http://127.0.0.1:9/while-offline.bin' }).token;
    h.engine.updateSettings({ concurrency: 7 });
    await flush(20);
    expect(downloads.get(token)).toBeUndefined();

    online = true;
    tell({ state: 'open', resumed: true });
    await until(() => banner().attributes('data-state') === 'restored', 'the banner to say the list was refreshed');
    expect(banner().text()).toContain('Reconnected; the list was refreshed');
    expect(downloads.get(token)?.url).toBe('http://127.0.0.1:9/while-offline.bin');
    expect(settings.settings.concurrency).toBe(7);
  });

  it('a first open is no reconnection: nothing is reloaded and no banner shows', async () => {
    const connection = useConnection();
    connection.watch();
    wrapper = mount(ConnectionBanner, { attachTo: document.body, global: { plugins: [getActivePinia()!, i18n] } });
    tell({ state: 'open', resumed: false });
    await flush();
    expect(connection.banner).toBeNull();
    expect(banner().exists()).toBe(false);
  });

  it('says the engine was restarted when the secret is refused, in English and Chinese', async () => {
    useConnection().watch();
    wrapper = mount(ConnectionBanner, { attachTo: document.body, global: { plugins: [getActivePinia()!, i18n] } });
    tell({ state: 'refused', status: 401 });
    await flush();
    expect(banner().attributes('data-state')).toBe('restarted');
    expect(banner().attributes('role')).toBe('alert');
    expect(banner().text()).toContain('The engine was restarted: open the new link it printed');
    i18n.global.locale.value = 'zh-CN';
    await flush();
    expect(banner().text()).toContain('引擎已重新启动：请打开它新打印的链接');
    tell({ state: 'lost', attempt: 2, retryInMs: 1000 });
    await flush();
    expect(banner().text()).toContain('与引擎的连接已断开，正在重新连接…');
  });

  it('has nothing to follow on a bridge without onConnectionChange (Electron)', () => {
    setBridge({ invoke: h.bridge.invoke, on: h.bridge.on });
    const connection = useConnection();
    expect(() => connection.watch()).not.toThrow();
    expect(connection.banner).toBeNull();
  });
});
