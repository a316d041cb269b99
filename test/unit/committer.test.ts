/**
 * The committer on real files: a cancel that arrives while the finished bytes are being checked is
 * honoured (the file never takes its final name); without one, the file is committed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src-shared/types.js';
import { commitDownload } from '../../src-main/core/committer.js';
import { Journal } from '../../src-main/core/journal.js';
import { PartialFiles } from '../../src-main/core/partial-files.js';

describe('commitDownload', () => {
  let root: string;
  let partials: PartialFiles;
  let journal: Journal;
  let dir: string;
  const body = Buffer.alloc(4 * 1024 * 1024, 7);
  const task = {
    token: 'tok',
    url: 'http://127.0.0.1/face.bin',
    storage: 'cache',
    sha256: createHash('sha256').update(body).digest('hex'),
  } as unknown as TaskRecord;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-commit-'));
    partials = new PartialFiles(path.join(root, '.partial'));
    fs.mkdirSync(partials.dir, { recursive: true });
    fs.writeFileSync(partials.dataPath(task.token), body);
    journal = new Journal(path.join(root, 'journal.jsonl'));
    dir = path.join(root, 'cache');
  });

  afterEach(() => {
    journal.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('honours a cancel that arrives during the checksum: nothing takes the final name', async () => {
    let asked = 0;
    // Not cancelled when the commit starts; cancelled by the time the checksum is done.
    const outcome = await commitDownload({ task, meta: undefined, sidecarOnDisk: false, dir, partials, journal, cancelled: () => asked++ > 0 });
    expect(outcome).toEqual({ ok: false, cancelled: true });
    expect(fs.existsSync(path.join(dir, 'face.bin'))).toBe(false);
  });

  it('commits when nobody cancelled', async () => {
    const outcome = await commitDownload({ task, meta: undefined, sidecarOnDisk: false, dir, partials, journal, cancelled: () => false });
    expect(outcome).toMatchObject({ ok: true, patch: { state: 'completed', name: 'face.bin' } });
    expect(fs.readFileSync(path.join(dir, 'face.bin')).equals(body)).toBe(true);
  });
});
