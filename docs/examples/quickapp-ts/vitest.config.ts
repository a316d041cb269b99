import { defineConfig } from 'vitest/config';
import { velaCompanion } from 'vela-companion/vitest';

export default defineConfig({
  // `@system.request` resolves to vela-companion's module; each test file gets a fresh data dir;
  // each test starts on a Watch S4 and may pick another device with configure({ device }).
  plugins: [velaCompanion({ device: 'watch-s4' })],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
