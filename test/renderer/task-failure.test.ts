// @vitest-environment happy-dom
/**
 * A row and the retry dialog as a failure shows them: the sentence and its fix, a cancel that is no
 * error, a retry that says why, a record from before reasons existed, and the dialog that keeps the old
 * site's credentials from a new link.
 */
import { mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import type { FailureReason } from '../../src-shared/failure-reason.js';
import RetryDialog from '../../src-renderer/components/downloads/RetryDialog.vue';
import TaskRow from '../../src-renderer/components/downloads/TaskRow.vue';
import { i18n } from '../../src-renderer/i18n/index.js';
import type { TaskView } from '../../src-renderer/stores/downloads.js';

const mounted: VueWrapper[] = [];
afterEach(() => {
  for (const w of mounted.splice(0)) w.unmount();
  i18n.global.locale.value = 'en';
});

function task(fields: Partial<TaskView>): TaskView {
  return {
    token: 't-1',
    url: 'https://files.example/members/face.bin',
    headers: {},
    profileId: 'desktop',
    storage: 'cache',
    listenerRule: 'all',
    state: 'failed',
    bytes: 0,
    total: null,
    createdAt: 1,
    updatedAt: 2,
    speed: 0,
    eta: null,
    stalled: false,
    kind: 'other',
    displayName: 'face.bin',
    ...fields,
  };
}

function row(fields: Partial<TaskView>): VueWrapper {
  const w = mount(TaskRow, { props: { task: task(fields) }, global: { plugins: [i18n] } });
  mounted.push(w);
  return w;
}

const http = (status: number, params?: FailureReason['params']): FailureReason => ({ code: 1000, kind: 'http', status, ...(params ? { params } : {}) });

describe('a failed row', () => {
  it('says what a 401 needs and offers the header editor; the code stays beside it, the English in the tooltip', async () => {
    const w = row({ code: 1000, message: 'HTTP status 401', error: http(401) });
    expect(w.get('[data-testid="task-message"]').text()).toBe('The server asks for credentials (401): add an Authorization header');
    expect(w.get('[data-testid="task-code"]').text()).toBe('1000');
    expect(w.get('[data-testid="task-failure"]').attributes('title')).toBe('What the engine said: HTTP status 401');
    await w.get('[data-testid="task-fix"]').trigger('click');
    expect(w.emitted('action')).toEqual([['retryHeaders', 't-1']]);
    i18n.global.locale.value = 'zh-CN';
    await nextTick();
    expect(w.get('[data-testid="task-message"]').text()).toBe('服务器要求提供凭据（401）：请添加 Authorization 请求头');
  });

  it('says how many attempts were made, and offers no extra button where Retry is the fix', () => {
    const w = row({ code: 1000, message: 'HTTP status 503 (gave up after 5 attempts)', error: http(503, { attempts: 5 }) });
    expect(w.get('[data-testid="task-message"]').text()).toBe('The server is unavailable (503): busy or down for maintenance; try again later');
    expect(w.get('[data-testid="task-attempts"]').text()).toBe('Gave up after 5 attempts.');
    expect(w.find('[data-testid="task-fix"]').exists()).toBe(false);
  });

  it('shows a record from before reasons existed by its code, with the engine\'s words', () => {
    const w = row({ code: 1000, message: 'HTTP status 404' });
    expect(w.get('[data-testid="task-message"]').text()).toBe('The download failed (1000) (HTTP status 404)');
  });

  it('is no error when the user cancelled it', () => {
    const w = row({ state: 'cancelled', code: 1000, message: 'cancelled' });
    expect(w.get('[data-testid="task-message"]').text()).toBe('Cancelled');
    expect(w.find('[data-testid="task-code"]').exists()).toBe(false);
    expect(w.get('[data-testid="task-state"]').classes()).not.toContain('bad');
    expect(w.find('[data-testid="task-retry"]').exists()).toBe(true);
  });

  it('says why a running task retries, in the user\'s language', async () => {
    const w = row({
      state: 'running',
      message: 'network error: connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED); retrying',
      error: { code: 1000, kind: 'network', detail: 'refused' },
    });
    expect(w.get('[data-testid="task-note"]').text()).toBe('Retrying after: The server refused the connection: it may be down, or the address or port is wrong');
    i18n.global.locale.value = 'zh-CN';
    await nextTick();
    expect(w.get('[data-testid="task-note"]').text()).toBe('正在重试，上次失败：服务器拒绝连接：服务器可能已停止，或地址、端口有误');
  });
});

describe('the retry dialog', () => {
  function dialog(props: { url: string; headers: Record<string, string>; mode?: 'url' | 'headers' }): VueWrapper {
    const w = mount(RetryDialog, { props: { name: 'face.bin', ...props }, global: { plugins: [i18n] }, attachTo: document.body });
    mounted.push(w);
    return w;
  }
  const names = (w: VueWrapper) => w.findAll('[data-testid="header-name"]').map((input) => (input.element as HTMLInputElement).value);

  it('opens on an Authorization row for a failure that wants credentials, and sends the headers changed', async () => {
    const w = dialog({ url: 'https://a.example/f.bin', headers: { 'X-Trace': '1' }, mode: 'headers' });
    expect(names(w)).toEqual(['X-Trace', 'Authorization']);
    await w.findAll('[data-testid="header-value"]').at(-1)!.setValue('Bearer t');
    await w.get('form').trigger('submit');
    expect(w.emitted('confirm')).toEqual([['https://a.example/f.bin', { 'X-Trace': '1', Authorization: 'Bearer t' }]]);
  });

  it('sends no headers when they were not changed (the engine keeps the task\'s)', async () => {
    const w = dialog({ url: 'https://a.example/f.bin', headers: { Cookie: 'a=1' } });
    await w.get('[data-testid="retry-url"]').setValue('https://a.example/g.bin');
    await w.get('form').trigger('submit');
    expect(w.emitted('confirm')).toEqual([['https://a.example/g.bin', undefined]]);
  });

  it('sets the old site\'s credentials aside while the link points at another site, and says so', async () => {
    const w = dialog({ url: 'https://a.example/f.bin', headers: { Authorization: 'Bearer old', 'X-Trace': '1' } });
    await w.get('[data-testid="retry-url"]').setValue('https://b.example/f.bin');
    expect(names(w)).toEqual(['X-Trace']);
    expect(w.get('[data-testid="retry-credentials-aside"]').text()).toContain('Authorization');
    await w.get('[data-testid="retry-url"]').setValue('https://a.example/other.bin');
    expect(names(w).sort()).toEqual(['Authorization', 'X-Trace']);
    await w.get('[data-testid="retry-url"]').setValue('https://b.example/f.bin');
    await w.get('form').trigger('submit');
    expect(w.emitted('confirm')).toEqual([['https://b.example/f.bin', { 'X-Trace': '1' }]]);
  });

  it('refuses a header the engine would refuse, with the rule\'s sentence', async () => {
    const w = dialog({ url: 'https://a.example/f.bin', headers: {}, mode: 'headers' });
    await w.findAll('[data-testid="header-name"]').at(-1)!.setValue('Bad Name');
    await w.findAll('[data-testid="header-value"]').at(-1)!.setValue('x');
    expect(w.get('[data-testid="retry-header-error"]').text()).toContain('A header name may use only');
    await w.get('form').trigger('submit');
    expect(w.emitted('confirm')).toBeUndefined();
  });
});
