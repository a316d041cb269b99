import { defineStore } from 'pinia';
import { ref } from 'vue';
import { createQuickAppRequest, type QuickAppRequest } from '../../src-shared/quickapp.js';
import { useBridge } from '../bridge.js';
import { parseObjectText, type ObjectTextError } from '../components/console/object-text.js';
import { i18n } from '../i18n/index.js';
import { useSettings } from './settings.js';

export type ConsoleCall = 'download' | 'onDownloadComplete';
export type LineKind = 'call' | 'success' | 'fail' | 'complete' | 'warn' | 'error';

/** One line of the console's log, in the order things happened. */
export interface LogLine {
  id: number;
  at: number;
  call: ConsoleCall;
  kind: LineKind;
  text: string;
}

/** What is wrong with the text in each box, if anything. */
export type InputProblems = Record<ConsoleCall, ObjectTextError | null>;

const MAX_LINES = 500;

export const DEFAULT_DOWNLOAD_TEXT = `{
  "url": "https://example.com/watchface.png",
  "header": { "Accept": "image/*" },
  "filename": "watchface.png"
}`;

const listenTextFor = (token: string): string => `{ "token": ${JSON.stringify(token)} }`;

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

/**
 * The API console: the object a quick app passes to `request.download` / `request.onDownloadComplete`,
 * run through the shared quick-app adapter under the active device profile, with every callback
 * logged as the quick app sees it.
 */
export const useConsole = defineStore('console', () => {
  const downloadText = ref(DEFAULT_DOWNLOAD_TEXT);
  const listenText = ref(listenTextFor(''));
  const lines = ref<LogLine[]>([]);
  const problems = ref<InputProblems>({ download: null, onDownloadComplete: null });
  /** Calls whose `complete` has not fired yet. */
  const pending = ref(0);
  let nextId = 1;
  let request: QuickAppRequest | undefined;

  function log(call: ConsoleCall, kind: LineKind, text: string): void {
    lines.value = [...lines.value.slice(-(MAX_LINES - 1)), { id: nextId++, at: Date.now(), call, kind, text }];
  }

  const adapter = (): QuickAppRequest => {
    request ??= createQuickAppRequest(useBridge(), {
      downloadExtras: () => ({ device: useSettings().settings.activeProfile }),
      onReplaced: (token) => log('onDownloadComplete', 'warn', i18n.global.t('console.replaced', { token })),
      onCallbackError: (error) => log('onDownloadComplete', 'error', error instanceof Error ? error.message : String(error)),
    });
    return request;
  };

  /** The object in a box, or null with the problem shown. A bare token is fine in the token box. */
  function read(call: ConsoleCall, text: string): Record<string, unknown> | null {
    const trimmed = text.trim();
    if (call === 'onDownloadComplete' && trimmed !== '' && !/^[{[]/.test(trimmed) && !/^["']/.test(trimmed)) {
      problems.value[call] = null;
      return { token: trimmed };
    }
    const parsed = parseObjectText(text);
    if (!parsed.ok) {
      problems.value[call] = parsed.error;
      return null;
    }
    problems.value[call] = null;
    return parsed.value;
  }

  /** Callbacks that log what fires, in order. */
  function callbacks<T>(call: ConsoleCall, onSuccess?: (data: T) => void) {
    pending.value += 1;
    return {
      success: (data: T) => {
        log(call, 'success', `${call} → success(${show(data)})`);
        onSuccess?.(data);
      },
      fail: (data: string, code: number) => log(call, 'fail', `${call} → fail(${show(data)}, ${code})`),
      complete: () => {
        pending.value = Math.max(0, pending.value - 1);
        log(call, 'complete', `${call} → complete()`);
      },
    };
  }

  /** `request.download(object)` with the object in the download box. */
  function runDownload(): boolean {
    const object = read('download', downloadText.value);
    if (!object) return false;
    const { url, header, filename, description } = object;
    log('download', 'call', `download(${show(object)})`);
    adapter().download({
      url,
      header,
      filename,
      description,
      ...callbacks<{ token: string }>('download', ({ token }) => {
        listenText.value = listenTextFor(token);
      }),
    });
    return true;
  }

  /** `request.onDownloadComplete(object)` with the object (or bare token) in the token box. */
  function runListen(): boolean {
    const object = read('onDownloadComplete', listenText.value);
    if (!object) return false;
    log('onDownloadComplete', 'call', `onDownloadComplete(${show(object)})`);
    adapter().onDownloadComplete({ token: object.token, ...callbacks<{ uri: string }>('onDownloadComplete') });
    return true;
  }

  function clear(): void {
    lines.value = [];
  }

  function resetInput(): void {
    downloadText.value = DEFAULT_DOWNLOAD_TEXT;
    problems.value.download = null;
  }

  return { downloadText, listenText, lines, problems, pending, runDownload, runListen, clear, resetInput };
});
