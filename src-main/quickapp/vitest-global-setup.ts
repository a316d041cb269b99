import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROVIDED_ROOT } from './vitest.js';

/**
 * Vitest globalSetup of `vela-companion/vitest`: one temp folder for the data dirs of this run (the
 * setup file makes one per test file or test inside it), removed when the run ends, after every test
 * file and the engines in its worker are done.
 */
export default function setup(project: TestProject): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-companion-vitest-'));
  (project.provide as (key: string, value: unknown) => void)(PROVIDED_ROOT, root);
  return () => fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}
