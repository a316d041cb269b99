/** English and Simplified Chinese say the same things: every message key exists in both tables. */
import { describe, expect, it } from 'vitest';
import { en } from '../../src-renderer/i18n/en/index.js';
import { zhCN } from '../../src-renderer/i18n/zh-CN/index.js';

function keysOf(table: unknown, prefix = ''): string[] {
  if (typeof table !== 'object' || table === null) return [prefix];
  return Object.entries(table).flatMap(([key, value]) => keysOf(value, prefix ? `${prefix}.${key}` : key));
}

describe('message tables', () => {
  it('have the same keys in English and Chinese', () => {
    expect(keysOf(zhCN).sort()).toEqual(keysOf(en).sort());
  });

  it('give every argument rule of the shared schemas a sentence in both languages', () => {
    const rules = keysOf(en).filter((key) => key.startsWith('rules.'));
    expect(rules).toEqual(expect.arrayContaining(['rules.filename.dotdot', 'rules.header.name', 'rules.sha256.format', 'rules.url.scheme']));
  });
});
