import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { electronBinary, fallbackLine, firstLine, hasDisplay, planLaunch, type LaunchFacts } from '../../src-main/electron/launch-plan.js';

const facts = (extra: Partial<LaunchFacts> = {}): LaunchFacts => ({
  platform: 'linux',
  env: { DISPLAY: ':0' },
  args: [],
  electronDir: '/p/node_modules/electron',
  binary: '/p/node_modules/electron/dist/electron',
  ...extra,
});

describe('npm start: where the window can start', () => {
  it('launches Electron where there is a display and a binary', () => {
    expect(planLaunch(facts())).toEqual({ kind: 'electron', binary: '/p/node_modules/electron/dist/electron' });
    expect(planLaunch(facts({ env: { WAYLAND_DISPLAY: 'wayland-0' } })).kind).toBe('electron');
    expect(planLaunch(facts({ platform: 'win32', env: {} })).kind).toBe('electron');
    expect(planLaunch(facts({ platform: 'darwin', env: {} })).kind).toBe('electron');
  });

  it('falls back, saying why, without a display (before ever looking for the binary)', () => {
    for (const env of [{}, { DISPLAY: '' }, { DISPLAY: '', WAYLAND_DISPLAY: '' }]) {
      expect(planLaunch(facts({ env, binary: null }))).toEqual({ kind: 'browser', reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' });
    }
    expect(planLaunch(facts({ platform: 'freebsd', env: {} })).kind).toBe('browser');
    expect(hasDisplay('linux', { DISPLAY: ':1' })).toBe(true);
  });

  it('fetches a missing binary only where a window could open, and falls back when that fails', () => {
    expect(planLaunch(facts({ binary: null }))).toEqual({ kind: 'fetch', installer: path.join('/p/node_modules/electron', 'install.js') });
    expect(planLaunch(facts({ binary: null, fetchFailed: 'getaddrinfo ENOTFOUND github.com' }))).toEqual({
      kind: 'browser',
      reason: "Electron's binary is not installed and could not be fetched (getaddrinfo ENOTFOUND github.com)",
    });
    expect(planLaunch(facts({ binary: null, env: { DISPLAY: ':0', ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } })).kind).toBe('browser');
    // Fetched after all: the binary is there now.
    expect(planLaunch(facts({ fetchFailed: 'x' })).kind).toBe('electron');
  });

  it('falls back when Electron is not installed, or when asked to', () => {
    expect(planLaunch(facts({ electronDir: null, binary: null })).kind).toBe('browser');
    expect(planLaunch(facts({ args: ['--browser'] }))).toEqual({ kind: 'browser', reason: 'the browser host was asked for' });
    expect(planLaunch(facts({ env: { DISPLAY: ':0', VELA_BROWSER: '1' } })).kind).toBe('browser');
  });

  it('finds the binary as electron\'s index.js does, without downloading', () => {
    const files: Record<string, string> = { '/e/path.txt': 'electron', '/e/dist/electron': '' };
    const fsx = { read: (f: string) => files[f], exists: (f: string) => f in files };
    expect(electronBinary('/e', {}, fsx)).toBe(path.join('/e', 'dist', 'electron'));
    expect(electronBinary('/e', {}, { ...fsx, exists: () => false })).toBeNull();
    expect(electronBinary('/e', {}, { read: () => undefined, exists: () => true })).toBeNull();
    expect(electronBinary('/e', { ELECTRON_OVERRIDE_DIST_PATH: '/opt/electron' }, { read: () => undefined, exists: (f) => f === path.join('/opt/electron', 'electron') })).toBe(
      path.join('/opt/electron', 'electron'),
    );
  });

  it('reports in one line, never a stack', () => {
    const stack = 'Error: spawn ENOENT\n    at ChildProcess._handle.onexit (node:internal/child_process:284:19)\n    at onErrorNT';
    expect(firstLine(stack)).toBe('Error: spawn ENOENT');
    expect(firstLine('\n\n   at x\n')).toBe('no output');
    expect(firstLine('x'.repeat(500)).length).toBe(160);
    expect(fallbackLine('there is no display')).not.toContain('\n');
  });
});
