import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../../src-main/core/journal.js';
import type { TaskRecord } from '../../src-shared/types.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-journal-'));
  file = path.join(dir, 'data', 'journal.jsonl');
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const task = (token: string): TaskRecord => ({
  token,
  url: 'http://127.0.0.1/x',
  headers: {},
  profileId: 'desktop',
  storage: 'cache',
  listenerRule: 'all',
  state: 'queued',
  bytes: 0,
  total: null,
  createdAt: 1,
  updatedAt: 1,
});

describe('the journal', () => {
  it('reads back every entry in order, across processes (a new Journal on the same file)', () => {
    const journal = new Journal(file);
    journal.append({ kind: 'task', task: task('a') });
    journal.append({ kind: 'committed', token: 'a', name: 'a.bin' });
    journal.append({ kind: 'removed', token: 'b' });
    journal.close();
    expect(new Journal(file).read()).toEqual([
      { kind: 'task', task: task('a') },
      { kind: 'committed', token: 'a', name: 'a.bin' },
      { kind: 'removed', token: 'b' },
    ]);
  });

  it('skips a line cut short by a crash and lines that are not entries, keeping the rest', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const good = JSON.stringify({ kind: 'committed', token: 'a', name: 'a.bin' });
    fs.writeFileSync(file, `${good}\n{"kind":"task","task":{"tok\n42\n{"kind":"other"}\n${JSON.stringify({ kind: 'removed', token: 'c' })}\n{"kind":"removed","to`);
    expect(new Journal(file).read()).toEqual([
      { kind: 'committed', token: 'a', name: 'a.bin' },
      { kind: 'removed', token: 'c' },
    ]);
  });

  it('appends after what an earlier process left, and clear() empties it for the next entries', () => {
    new Journal(file).append({ kind: 'removed', token: 'old' });
    const journal = new Journal(file);
    journal.append({ kind: 'removed', token: 'new' });
    expect(journal.read().map((e) => (e.kind === 'removed' ? e.token : ''))).toEqual(['old', 'new']);
    journal.clear();
    expect(journal.read()).toEqual([]);
    journal.append({ kind: 'removed', token: 'after' });
    expect(journal.read()).toEqual([{ kind: 'removed', token: 'after' }]);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${JSON.stringify({ kind: 'removed', token: 'after' })}\n`);
    journal.close();
  });

  it("clear() without an append of its own removes an earlier process's file", () => {
    new Journal(file).append({ kind: 'removed', token: 'old' });
    const journal = new Journal(file);
    journal.clear();
    expect(fs.existsSync(file)).toBe(false);
    expect(journal.read()).toEqual([]);
  });

  it('costs no file creation per entry: one file, whatever the number of entries', () => {
    const journal = new Journal(file);
    for (let i = 0; i < 1000; i++) journal.append({ kind: 'task', task: task(`t${i}`) });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['journal.jsonl']);
    expect(journal.read()).toHaveLength(1000);
    journal.close();
  });
});

describe('a torn last line', () => {
  // Regression (review): a file left ending inside a line (a crash mid-write) made the next entry share
  // that line, so the reader dropped an entry that had been acknowledged.
  it('never swallows the next entry', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify({ kind: 'removed', token: 'a' })}\n{"kind":"removed","tok`);
    const journal = new Journal(file);
    journal.append({ kind: 'removed', token: 'b' });
    journal.append({ kind: 'removed', token: 'c' });
    expect(journal.read()).toEqual([
      { kind: 'removed', token: 'a' },
      { kind: 'removed', token: 'b' },
      { kind: 'removed', token: 'c' },
    ]);
    journal.close();
  });
});
