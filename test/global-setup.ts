import { execSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Vitest globalSetup: the CLI tests run the built `bin/vela-companion.js` as child processes, so build
 * once before any test file runs; a stale dist/ would test yesterday's code.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  try {
    // A production build, as users run it: vitest sets NODE_ENV=test, which would give Vite a dev build.
    execSync('npm run build', { cwd: root, stdio: 'pipe', env: { ...process.env, NODE_ENV: 'production' } });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build failed before the tests:\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
}
