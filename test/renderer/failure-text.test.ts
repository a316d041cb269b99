/**
 * Every failure the engine can report has a sentence in English and in Chinese, with what helps:
 * every reason kind (each FailureKind of an attempt included) with its statuses and finer causes, and
 * every fail code of API.md §2 for an error whose reason is unknown.
 */
import { describe, expect, it } from 'vitest';
import { FailCode } from '../../src-shared/codes.js';
import { REASON_KINDS, type FailureReason } from '../../src-shared/failure-reason.js';
import { FailureKind } from '../../src-main/core/failure.js';
import { CODE_KEYS, describeFailure, errorText, failureSentence } from '../../src-renderer/components/downloads/failure-text.js';
import { i18n } from '../../src-renderer/i18n/index.js';

type Locale = 'en' | 'zh-CN';
const LOCALES: Locale[] = ['en', 'zh-CN'];

const sentence = (reason: FailureReason | undefined, locale: Locale, code?: number, message?: string): string =>
  failureSentence(
    describeFailure(reason, code),
    (key, named = {}) => i18n.global.t(key, named, { locale }),
    (key) => i18n.global.te(key, locale),
    message,
  );

const r = (kind: FailureReason['kind'], extra: Omit<Partial<FailureReason>, 'kind'> = {}): FailureReason => ({ code: FailCode.DownloadFailed, kind, ...extra });

/** At least one reason per kind, and every status and finer cause the engine gives. */
const SAMPLES: FailureReason[] = [
  ...[301, 302, 400, 401, 402, 403, 404, 405, 407, 408, 410, 413, 416, 418, 429, 451, 500, 501, 502, 503, 504, 599, 600].map((status) => r('http', { status })),
  r('http', { status: 302, detail: 'redirect' }),
  r('http', { status: 503, params: { attempts: 5 } }),
  ...['dns', 'refused', 'reset', 'unreachable', 'tls', 'protocol', 'drop', undefined, 'something-new'].map((detail) => r('network', detail ? { detail } : {})),
  r('timeout', { detail: 'connect' }),
  r('timeout', { detail: 'idle', params: { attempts: 5 } }),
  r('request', { detail: 'redirects' }),
  r('request', { detail: 'invalid' }),
  r('body'),
  r('no-space'),
  r('no-space', { params: { folder: '/home/me/.config/vela-companion/cache/.partial' } }),
  r('write'),
  r('write', { params: { folder: '/data/cache', errno: 'EACCES' } }),
  r('quota', { detail: 'too-large', params: { quota: 1000, total: 5000, used: 200, device: 'Watch' } }),
  r('quota', { detail: 'grew', params: { quota: 1000, device: 'Watch' } }),
  r('checksum', { params: { expected: 'a'.repeat(64), actual: 'b'.repeat(64) } }),
  r('offline', { params: { device: 'Slow watch', timeoutMs: 90_000 } }),
  r('offline', { params: { device: 'Slow watch' } }),
  r('internal'),
  { code: 202, kind: 'argument', detail: 'url.scheme' },
  { code: 202, kind: 'argument', detail: 'header.name' },
  { code: 202, kind: 'argument', detail: 'filename.dotdot' },
  { code: 202, kind: 'argument' },
  { code: 202, kind: 'argument', detail: 'a.rule.from.the.future' },
  { code: 203, kind: 'unsupported', params: { device: 'Redmi Watch 4' } },
  { code: 1001, kind: 'not-found', params: { token: 'x' } },
  { code: 202, kind: 'state', params: { action: 'retry', state: 'running' } },
  { code: 202, kind: 'not-media', params: { name: 'updater.desktop' } },
  ...['missing', 'read', 'folder', 'move', undefined].map((detail): FailureReason => ({
    code: 1000,
    kind: 'gallery',
    ...(detail ? { detail } : {}),
    params: { name: 'a.png', folder: '/home/me/Pictures/Vela Companion', errno: 'EACCES' },
  })),
];

describe('failure texts', () => {
  it('cover every reason kind, each FailureKind of an attempt among them', () => {
    for (const kind of Object.values(FailureKind)) expect(REASON_KINDS).toContain(kind);
    const sampled = new Set(SAMPLES.map((reason) => reason.kind));
    for (const kind of REASON_KINDS) expect(sampled, kind).toContain(kind);
  });

  it('say every reason in English and in Chinese, with no placeholder left and no English in the Chinese', () => {
    for (const reason of SAMPLES) {
      const { key, fallback } = describeFailure(reason);
      const used = i18n.global.te(key, 'en') ? key : fallback;
      for (const locale of LOCALES) {
        expect(used && i18n.global.te(used, locale), `${JSON.stringify(reason)} in ${locale}`).toBe(true);
        const text = sentence(reason, locale);
        expect(text, JSON.stringify(reason)).not.toMatch(/[{}]|undefined|NaN/);
        if (locale === 'zh-CN') expect(text, JSON.stringify(reason)).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it('have a sentence for every fail code of API.md §2, in both languages', () => {
    for (const code of Object.values(FailCode)) {
      const key = CODE_KEYS[code];
      expect(key, String(code)).toBeDefined();
      for (const locale of LOCALES) expect(i18n.global.te(key!, locale), `${code} in ${locale}`).toBe(true);
      expect(describeFailure(undefined, code)).toMatchObject({ key, generic: true });
    }
  });

  it('tell a person what to do, and offer the fix', () => {
    expect(sentence(r('http', { status: 401 }), 'en')).toBe('The server asks for credentials (401): add an Authorization header');
    expect(sentence(r('http', { status: 401 }), 'zh-CN')).toBe('服务器要求提供凭据（401）：请添加 Authorization 请求头');
    expect(describeFailure(r('http', { status: 401 })).action).toBe('headers');
    expect(describeFailure(r('http', { status: 403 })).action).toBe('headers');
    expect(describeFailure(r('http', { status: 404 })).action).toBe('newLink');
    expect(describeFailure(r('http', { status: 503 })).action).toBe('retry');
    expect(describeFailure(r('quota', { detail: 'grew', params: { quota: 1 } })).action).toBe('devices');
    expect(sentence(r('http', { status: 404 }), 'en')).toContain('check the link');
    expect(sentence(r('http', { status: 418 }), 'en')).toBe('The server refused the request (418): check the link');
    expect(sentence(r('http', { status: 599 }), 'en')).toBe('The server is in trouble (599): try again later');
    expect(sentence(r('network', { detail: 'refused' }), 'en')).toMatch(/^The server refused the connection/);
    expect(sentence(r('network', { detail: 'dns' }), 'zh-CN')).toContain('DNS');
    expect(sentence(r('timeout', { detail: 'idle' }), 'en')).toMatch(/^Stalled/);
    expect(sentence(r('no-space', { params: { folder: '/mnt/data' } }), 'en')).toBe('The disk is full: free space on the disk that holds /mnt/data, then retry');
    expect(sentence(r('quota', { detail: 'too-large', params: { quota: 1024, total: 4096, used: 512, device: 'Watch' } }), 'en')).toBe(
      'The file (4.0 KiB) does not fit in the Watch profile’s storage: 512 B of 1.0 KiB free',
    );
    expect(sentence(r('offline', { params: { device: 'W', timeoutMs: 90_000 } }), 'en')).toContain('1m30s');
    expect(describeFailure(r('http', { status: 503, params: { attempts: 5 } })).attempts).toBe(5);
  });

  it('say an argument rule with the forms\' own sentence (rules.*), and a state by its name', () => {
    expect(sentence({ code: 202, kind: 'argument', detail: 'url.scheme' }, 'en')).toBe('Only http and https links can be downloaded.');
    expect(sentence({ code: 202, kind: 'argument', detail: 'url.scheme' }, 'zh-CN')).toBe('只能下载 http 和 https 链接。');
    expect(sentence({ code: 202, kind: 'argument', detail: 'a.rule.from.the.future' }, 'en', 202, 'the English')).toBe('An argument is not valid (202) (the English)');
    expect(sentence({ code: 202, kind: 'state', params: { action: 'retry', state: 'running' } }, 'zh-CN')).toBe('下载处于“下载中”状态时无法执行此操作');
  });

  it('fall back to the fail code with the engine\'s message when the reason is unknown', () => {
    expect(sentence(undefined, 'en', 1000, 'HTTP status 404')).toBe('The download failed (1000) (HTTP status 404)');
    expect(sentence(undefined, 'zh-CN', 1000, 'HTTP status 404')).toBe('下载失败（1000）（HTTP status 404）');
    expect(errorText({ code: 203, message: 'Band does not support system.request downloads', reason: { code: 203, kind: 'unsupported', params: { device: 'Band' } } })).toBe(
      'Band does not support downloads (203): choose another device profile in Devices',
    );
  });
});
