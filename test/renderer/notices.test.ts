/**
 * Notices (issue 10, point 7): they go by themselves (an error later than news), stand still while the
 * pointer or the keyboard is on them, and belong to the view they came from: time runs only there.
 */
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NOTICE_MS, useNotices } from '../../src-renderer/stores/notices.js';
import { errorText } from '../../src-renderer/components/downloads/failure-text.js';

beforeEach(() => {
  vi.useFakeTimers();
  setActivePinia(createPinia());
});

afterEach(() => {
  vi.useRealTimers();
});

const texts = (): string[] => useNotices().visible.map((n) => n.text);

describe('notices', () => {
  it('go by themselves: news after a few seconds, errors later', () => {
    const notices = useNotices();
    notices.info('saved');
    notices.error({ code: 202, message: 'bad link' });
    vi.advanceTimersByTime(NOTICE_MS.info + 300);
    expect(texts()).toEqual([errorText({ code: 202, message: 'bad link' })]);
    vi.advanceTimersByTime(NOTICE_MS.error - NOTICE_MS.info);
    expect(texts()).toEqual([]);
  });

  it('stand still while hovered or focused', () => {
    const notices = useNotices();
    const id = notices.info('hold me');
    notices.hold(id, true);
    vi.advanceTimersByTime(NOTICE_MS.info * 3);
    expect(texts()).toEqual(['hold me']);
    notices.hold(id, false);
    vi.advanceTimersByTime(NOTICE_MS.info + 300);
    expect(texts()).toEqual([]);
  });

  it('belong to the view they came from, whose time runs only while it shows', () => {
    const notices = useNotices();
    notices.setView('media');
    notices.error({ code: 1000, message: 'cannot move' });
    notices.setView('downloads');
    notices.info('added', { view: 'downloads' });
    notices.push('error', 'engine down', undefined, { view: null, sticky: true });
    expect(texts()).toEqual(['added', 'engine down']);
    // Away from Media for longer than an error lasts: it is still there when the user comes back.
    vi.advanceTimersByTime(NOTICE_MS.error * 2);
    expect(texts()).toEqual(['engine down']);
    notices.setView('media');
    expect(texts()).toEqual([errorText({ code: 1000, message: 'cannot move' }), 'engine down']);
    vi.advanceTimersByTime(NOTICE_MS.error + 300);
    // The window-wide, sticky one stays until dismissed.
    expect(texts()).toEqual(['engine down']);
  });

  it('keep the newest five', () => {
    const notices = useNotices();
    for (let i = 1; i <= 7; i++) notices.info(`n${i}`);
    expect(texts()).toEqual(['n3', 'n4', 'n5', 'n6', 'n7']);
  });
});
