import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/docker/global-setup.ts'],
    // Real git in temp dirs: give slow disks room, never retry (a retry would hide a race).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    retry: 0,
    pool: 'forks',
  },
});
