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
    // The tests mostly wait on git, Docker and CLI processes, not on the test workers' own CPU:
    // three files at once use two cores well (the kill loops and races run side by side).
    maxWorkers: 3,
    tags: [{ name: 'slow', description: 'kill -9 loops and races: long, for the full suite' }],
  },
});
