import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentsFor } from '../../src-main/core/agents.js';
import type { PartialMeta } from '../../src-main/core/partial-files.js';
import { runAttempt } from '../../src-main/core/transfer.js';

let dir: string;
let server: http.Server;
let url: string;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-transfer-'));
  // Ignores Range: a resource that changed (new ETag) answers every ranged request with a whole 200.
  server = http.createServer((_req, res) => {
    res.writeHead(200, { etag: '"new"', 'content-length': '3' });
    res.end('NEW');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('runAttempt', () => {
  // Regression (review): on a 200 to a resume the new validators were handed to onStart (which writes
  // the sidecar) while the old bytes were still in the file; had the file's reopening then failed, a
  // retry would have appended the new resource to the old one's bytes and committed the mix.
  it('drops the old bytes before announcing the new resource on a 200 to a resume', async () => {
    {
      const partialPath = path.join(dir, 'partial');
      fs.writeFileSync(partialPath, 'OLD BYTES');
      const old: PartialMeta = { url, etag: '"old"', total: 12 };
      const sizesAtStart: number[] = [];
      const agents = agentsFor(url, '', {});
      const result = await runAttempt({
        url,
        headers: {},
        partialPath,
        meta: old,
        agents,
        idleTimeoutMs: 5_000,
        signal: new AbortController().signal,
        limiters: () => [],
        onStart: (meta, offset) => {
          expect(meta.etag).toBe('"new"');
          expect(offset).toBe(0);
          sizesAtStart.push(fs.statSync(partialPath).size);
        },
        onBytes: () => undefined,
      });
      expect(sizesAtStart).toEqual([0]);
      expect(result.size).toBe(3);
      expect(fs.readFileSync(partialPath, 'utf8')).toBe('NEW');
    }
  });
});
