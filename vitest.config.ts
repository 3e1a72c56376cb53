import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test files that need a Docker engine, or use one when it answers: the `docker` project, the
 * only one whose global set-up builds the images. Everything else is the `host` project
 * (test/unit/projects.test.ts checks that no file using the engine is left there).
 */
export const DOCKER_TESTS = [
  'test/docker/**/*.test.ts',
  'test/**/*-docker.test.ts',
  'test/attack/container.test.ts',
  'test/strategies/container.test.ts',
  // A container lane among host ones.
  'test/resources/share.test.ts',
  'test/resources/database.test.ts',
  'test/resources/dev-servers.test.ts',
  // They measure or try container lanes when an engine answers.
  'test/bench/bench-cli.test.ts',
  'test/git/bench-smoke.test.ts',
  'test/install/readme.test.ts',
];

export default defineConfig({
  test: {
    // Real git in temp dirs: give slow disks room, never retry (a retry would hide a race).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    retry: 0,
    pool: 'forks',
    // The tests mostly wait on git, Docker and CLI processes, not on the test workers' own CPU:
    // three files at once use two cores well (each strategy's kill loops and races also run side
    // by side within its file: test/contract/).
    maxWorkers: 3,
    // `npm run test:fast` leaves these out (--tags-filter); `npm test` runs everything.
    tags: [
      { name: 'slow', description: 'kill -9 loops, races and long scenarios: the full suite only' },
      { name: 'chromium', description: 'needs Chromium at /usr/bin/chromium' },
    ],
    projects: [
      { extends: true, test: { name: 'host', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...DOCKER_TESTS] } },
      { extends: true, test: { name: 'docker', include: DOCKER_TESTS, globalSetup: ['test/docker/global-setup.ts'] } },
    ],
  },
});
