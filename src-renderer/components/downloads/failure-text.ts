import { useI18n } from 'vue-i18n';
import { FailCode, type ErrorData } from '../../../src-shared/codes.js';
import type { FailureReason } from '../../../src-shared/failure-reason.js';
import { formatBytes, formatDuration } from '../../../src-shared/format.js';
import { i18n } from '../../i18n/index.js';

/**
 * A failure in the window's language, with what helps. The engine says why as data (a task's
 * `error`, a refused call's `reason`: src-shared/failure-reason.ts); this maps the kind, the HTTP
 * status, the finer cause and the values to a sentence of the `failures.*` tables (an argument's rule
 * to its `rules.*` sentence, as the forms do: argument-problem.ts) and to the one action that fixes
 * it. Never the engine's English text, except as a last resort for a reason it does not know (an
 * older record, a new kind): then the fail code's own sentence with the English message beside it.
 */

/** What the window offers next to the sentence. */
export type FailureAction = 'headers' | 'newLink' | 'retry' | 'devices' | 'settings';

export interface FailureDescription {
  /** The sentence's key (`failures.…`, or `rules.…` for an argument's rule). */
  key: string;
  /** Said instead when `key` has no sentence (an argument rule this version does not know). */
  fallback?: string;
  /** Values the sentence names, already formatted. */
  named: Record<string, string | number>;
  /** Values that are themselves sentences, by key (a task state's name). */
  namedKeys?: Record<string, string>;
  action?: FailureAction;
  /** Given up after this many attempts in a row. */
  attempts?: number;
  /** Only the fail code's sentence: the engine's own message should go with it. */
  generic?: boolean;
}

/** The sentence of a fail code alone (API.md §2), for an error whose reason is unknown. */
export const CODE_KEYS: Readonly<Record<number, string>> = {
  [FailCode.IllegalArgument]: 'failures.code.illegalArgument',
  [FailCode.NotSupported]: 'failures.code.notSupported',
  [FailCode.DownloadFailed]: 'failures.code.downloadFailed',
  [FailCode.TaskNotFound]: 'failures.code.taskNotFound',
  [FailCode.Internal]: 'failures.code.internal',
};

/** Statuses with a sentence of their own, and what helps for each. */
const HTTP: Readonly<Record<number, FailureAction | undefined>> = {
  400: 'newLink',
  401: 'headers',
  403: 'headers',
  404: 'newLink',
  407: 'settings',
  408: 'retry',
  410: 'newLink',
  416: 'retry',
  429: 'retry',
  451: undefined,
  500: 'retry',
  502: 'retry',
  503: 'retry',
  504: 'retry',
};

const NETWORK: Readonly<Record<string, FailureAction>> = {
  dns: 'newLink',
  refused: 'retry',
  reset: 'retry',
  unreachable: 'retry',
  tls: 'newLink',
  protocol: 'retry',
  drop: 'retry',
  other: 'retry',
};

const short = (value: unknown): string => String(value ?? '').slice(0, 12);
/** An error code as the sentences name it, in parentheses after what failed; nothing when none is known. */
const errnoText = (value: unknown): string => (typeof value === 'string' && value ? ` (${value})` : '');
const bytes = (value: unknown): string => (typeof value === 'number' ? formatBytes(value) : '?');

function httpDescription(status: number | undefined, detail: string | undefined): Pick<FailureDescription, 'key' | 'named' | 'action'> {
  const named = { status: status ?? '?' };
  if (status !== undefined && Object.hasOwn(HTTP, status)) return { key: `failures.http.s${status}`, named, action: HTTP[status] };
  if (detail === 'redirect' || (status !== undefined && status >= 300 && status < 400)) return { key: 'failures.http.redirect', named, action: 'newLink' };
  if (status !== undefined && status >= 500 && status < 600) return { key: 'failures.http.server', named, action: 'retry' };
  if (status !== undefined && status >= 400 && status < 500) return { key: 'failures.http.client', named, action: 'newLink' };
  return { key: 'failures.http.other', named };
}

/** What a failure reason says, as a key and values (pure: tested for every kind in both languages). */
export function describeFailure(reason: FailureReason | undefined, code?: number): FailureDescription {
  if (!reason) return { key: CODE_KEYS[code ?? FailCode.DownloadFailed] ?? CODE_KEYS[FailCode.DownloadFailed]!, named: {}, generic: true };
  const p = reason.params ?? {};
  const attempts = typeof p.attempts === 'number' ? p.attempts : undefined;
  const done = (d: Omit<FailureDescription, 'attempts'>): FailureDescription => (attempts !== undefined ? { ...d, attempts } : d);
  switch (reason.kind) {
    case 'http':
      return done(httpDescription(reason.status, reason.detail));
    case 'network': {
      const detail = reason.detail && Object.hasOwn(NETWORK, reason.detail) ? reason.detail : 'other';
      return done({ key: `failures.network.${detail}`, named: {}, action: NETWORK[detail] });
    }
    case 'timeout':
      return done({ key: reason.detail === 'connect' ? 'failures.timeout.connect' : 'failures.timeout.idle', named: {}, action: 'retry' });
    case 'request':
      return reason.detail === 'redirects'
        ? done({ key: 'failures.request.redirects', named: {}, action: 'newLink' })
        : done({ key: 'failures.request.invalid', named: {}, action: 'headers' });
    case 'body':
      return done({ key: 'failures.body', named: {}, action: 'retry' });
    case 'no-space':
      return typeof p.folder === 'string'
        ? done({ key: 'failures.noSpaceFolder', named: { folder: p.folder }, action: 'retry' })
        : done({ key: 'failures.noSpace', named: {}, action: 'retry' });
    case 'write':
      return typeof p.folder === 'string'
        ? done({ key: 'failures.writeFolder', named: { folder: p.folder, errno: errnoText(p.errno) }, action: 'retry' })
        : done({ key: 'failures.write', named: {}, action: 'retry' });
    case 'quota': {
      const device = String(p.device ?? '');
      if (reason.detail === 'too-large') {
        const free = typeof p.quota === 'number' && typeof p.used === 'number' ? Math.max(0, p.quota - p.used) : undefined;
        return done({ key: 'failures.quota.tooLarge', named: { device, total: bytes(p.total), quota: bytes(p.quota), free: bytes(free) }, action: 'devices' });
      }
      return done({ key: 'failures.quota.grew', named: { device, quota: bytes(p.quota) }, action: 'devices' });
    }
    case 'checksum':
      return done({ key: 'failures.checksum', named: { expected: short(p.expected), actual: short(p.actual) }, action: 'newLink' });
    case 'offline':
      return typeof p.timeoutMs === 'number'
        ? done({ key: 'failures.offline', named: { device: String(p.device ?? ''), time: formatDuration(p.timeoutMs / 1000) }, action: 'devices' })
        : done({ key: 'failures.offlineNoTime', named: { device: String(p.device ?? '') }, action: 'devices' });
    case 'internal':
      return done({ key: 'failures.internal', named: {}, action: 'retry' });
    case 'argument':
      return reason.detail
        ? { key: `rules.${reason.detail}`, fallback: 'failures.argument', named: {} }
        : { key: 'failures.argument', named: {}, generic: true };
    case 'unsupported':
      return { key: 'failures.unsupported', named: { device: String(p.device ?? '') }, action: 'devices' };
    case 'not-found':
      return { key: 'failures.notFound', named: {} };
    case 'state':
      return { key: 'failures.state', named: {}, namedKeys: { state: `downloads.states.${String(p.state ?? '')}` } };
    case 'not-media':
      return { key: 'failures.notMedia', named: { name: String(p.name ?? '') } };
    case 'gallery': {
      const step = reason.detail === 'missing' || reason.detail === 'read' || reason.detail === 'folder' ? reason.detail : 'move';
      return { key: `failures.gallery.${step}`, named: { name: String(p.name ?? ''), folder: String(p.folder ?? ''), errno: errnoText(p.errno) } };
    }
    default:
      return { key: CODE_KEYS[reason.code] ?? CODE_KEYS[FailCode.DownloadFailed]!, named: {}, generic: true };
  }
}

type Translate = (key: string, named?: Record<string, unknown>) => string;
type Exists = (key: string) => boolean;

/** The sentence itself; `message` (the engine's English) only goes with a generic one. */
export function failureSentence(description: FailureDescription, t: Translate, te: Exists, message?: string): string {
  const key = te(description.key) || !description.fallback ? description.key : description.fallback;
  const named: Record<string, unknown> = { ...description.named };
  for (const [name, nameKey] of Object.entries(description.namedKeys ?? {})) named[name] = te(nameKey) ? t(nameKey) : nameKey.split('.').pop();
  const text = t(key, named);
  return (description.generic || key !== description.key) && message ? t('failures.withMessage', { text, message }) : text;
}

export interface FailureView {
  text: string;
  action?: FailureAction;
  /** "Gave up after n attempts.", when it did. */
  attempts?: string;
}

/** For components: a task's failure (or any reason) in the window's current language. */
export function useFailureText(): (reason: FailureReason | undefined, code?: number, message?: string) => FailureView {
  const { t, te } = useI18n();
  return (reason, code, message) => {
    const description = describeFailure(reason, code);
    return {
      text: failureSentence(description, t, te, message),
      action: description.action,
      attempts: description.attempts !== undefined ? t('failures.attempts', { n: description.attempts }) : undefined,
    };
  };
}

/** For stores (notices): a refused call's error in the window's current language. */
export function errorText(data: ErrorData): string {
  const { t, te } = i18n.global;
  return failureSentence(describeFailure(data.reason, data.code), (key, named = {}) => t(key, named), (key) => te(key), data.message);
}
