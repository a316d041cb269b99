import { defineStore } from 'pinia';
import { effectScope, ref, toRaw, watch, watchEffect, type EffectScope } from 'vue';
import { CompletionWatcher, type Ending } from '../../src-shared/completion-watcher.js';
import { useBridge } from '../bridge.js';
import { i18n } from '../i18n/index.js';
import { useDownloads } from './downloads.js';
import { percentOf, useOverview, type Overall } from './overview.js';

/**
 * Progress where the user looks, in the browser host (the desktop app has its taskbar progress and
 * Electron's notifications, src-main/electron): the tab's title carries the overall progress
 * ("42% · 3 downloads — Vela Companion"), and a download that finishes or fails raises a notification
 * through the Notification API. Permission is asked for once, on first use: when the user starts a
 * download (a user gesture, as browsers want), not when the page opens; the status bar offers it again
 * while the browser has neither granted nor blocked it. Endings close together make one notification.
 */

export type NotifyPermission = NotificationPermission | 'unsupported';

const ASKED_KEY = 'vela.notifications.asked';
/** Endings within this long of the first make one notification. */
const GATHER_MS = 800;

const t = (key: string, named: Record<string, unknown> = {}): string => i18n.global.t(key, named);
const tn = (key: string, n: number, named: Record<string, unknown> = {}): string => i18n.global.t(key, { n, ...named }, n);

const notificationApi = (): typeof Notification | undefined => (typeof Notification === 'function' ? Notification : undefined);

/** The tab's title for an overall figure. */
export function titleFor(overall: Overall): string {
  const app = t('app.title');
  if (overall.unfinished === 0) return app;
  const parts: string[] = [];
  if (overall.fraction !== null) parts.push(`${percentOf(overall.fraction)}%`);
  parts.push(
    overall.running === 0 && overall.queued === 0
      ? tn('queue.title.paused', overall.paused)
      : tn('queue.title.active', overall.unfinished),
  );
  return `${parts.join(' · ')} — ${app}`;
}

/** One notification's title and text for endings gathered together. */
export function notificationFor(endings: readonly Ending[]): { title: string; body: string } | undefined {
  const [first] = endings;
  if (!first) return undefined;
  if (endings.length === 1) {
    if (first.state === 'completed') return { title: t('queue.notify.completed'), body: first.name };
    const reason = first.message ? `\n${first.code !== undefined ? `${first.code}: ` : ''}${first.message}` : '';
    return { title: t('queue.notify.failed'), body: `${first.name}${reason}`.slice(0, 400) };
  }
  const failed = endings.filter((e) => e.state === 'failed').length;
  const done = endings.length - failed;
  const title =
    failed === 0 ? tn('queue.notify.manyCompleted', done) : done === 0 ? tn('queue.notify.manyFailed', failed) : t('queue.notify.mixed', { done, failed });
  const names = endings.slice(0, 3).map((e) => e.name).join(', ');
  return { title, body: `${names}${endings.length > 3 ? ', …' : ''}`.slice(0, 400) };
}

export const useAttention = defineStore('attention', () => {
  const api = notificationApi();
  const permission = ref<NotifyPermission>(api ? api.permission : 'unsupported');
  /** Whether this page does the job (the browser host) at all. */
  const active = ref(false);
  /** Notifications shown (their text), newest last: for people reading a test, and for tests. */
  const shown = ref<{ title: string; body: string }[]>([]);

  let gathered: Ending[] = [];
  let gatherTimer: ReturnType<typeof setTimeout> | undefined;
  /** What start() set up: its watchers, and the bridge listeners. */
  let scope: EffectScope | undefined;
  let offs: (() => void)[] = [];

  function show(endings: readonly Ending[]): void {
    const text = notificationFor(endings);
    const Api = notificationApi();
    if (!text || !Api || Api.permission !== 'granted') return;
    try {
      const notification = new Api(text.title, { body: text.body, lang: i18n.global.locale.value, tag: 'vela-downloads' });
      notification.onclick = () => {
        window.focus();
        window.location.hash = '#/downloads';
        notification.close();
      };
      shown.value = [...shown.value.slice(-9), text];
    } catch {
      // Some browsers allow notifications only from a service worker: then there are none.
    }
  }

  function gather(ending: Ending): void {
    gathered.push(ending);
    gatherTimer ??= setTimeout(() => {
      gatherTimer = undefined;
      const batch = gathered;
      gathered = [];
      show(batch);
    }, GATHER_MS);
  }

  /** Starts the title and the notifications (the browser host only); safe to call twice. */
  function start(): void {
    if (active.value) return;
    active.value = true;
    const downloads = useDownloads();
    const overview = useOverview();
    if (!downloads.loaded) void downloads.load();

    const watcher = new CompletionWatcher();
    const bridge = useBridge();
    offs = [
      bridge.on('task.updated', (record) => {
        const ending = watcher.observe(record);
        if (ending) gather(ending);
      }),
      bridge.on('task.removed', ({ token }) => watcher.forget(token)),
    ];
    scope = effectScope(true);
    scope.run(() => {
      // Tasks already there when the page opened are seeded as they are: only later endings notify.
      watch(
        () => downloads.all,
        (all) => watcher.seed(all.map((task) => toRaw(task))),
        { immediate: true },
      );
      watchEffect(() => {
        const title = titleFor(overview.overall);
        if (document.title !== title) document.title = title;
      });
    });
  }

  /** Undoes start() (tests; a page that goes away needs nothing). */
  function stop(): void {
    scope?.stop();
    scope = undefined;
    offs.forEach((off) => off());
    offs = [];
    clearTimeout(gatherTimer);
    gatherTimer = undefined;
    gathered = [];
    active.value = false;
  }

  /** Asks the browser for permission to notify (from a user gesture); answers what it said. */
  async function ask(): Promise<NotifyPermission> {
    const Api = notificationApi();
    if (!Api) return 'unsupported';
    if (Api.permission === 'default') {
      try {
        localStorage.setItem(ASKED_KEY, '1');
      } catch {
        // storage refused: we may ask again next time
      }
      permission.value = await Api.requestPermission();
    } else permission.value = Api.permission;
    return permission.value;
  }

  /** On first use (the user starts a download): asks once per browser, never again by itself. */
  function askOnFirstUse(): void {
    if (!active.value || notificationApi()?.permission !== 'default') return;
    let asked = false;
    try {
      asked = localStorage.getItem(ASKED_KEY) !== null;
    } catch {
      asked = false;
    }
    if (!asked) void ask();
  }

  return { permission, active, shown, start, stop, ask, askOnFirstUse };
});
