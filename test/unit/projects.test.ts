/**
 * Every test file that uses a Docker engine is in the `docker` project (vitest.config.ts), the
 * one whose global set-up builds the images: a file left in the `host` project would find no
 * image when run on its own, and would slow down `npm run test:fast`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DOCKER_TESTS } from '../../vitest.config.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What using the engine looks like in a test file. */
const USES_ENGINE = /\bdockerAvailable\(|\bprobeDocker\(|from 'dockerode'|needs: 'docker'/;

/** The glob forms vitest.config.ts uses (`**`, `*`, literal paths), as a regular expression. */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

async function testFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fsp.readdir(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await testFiles(rel)));
    else if (entry.name.endsWith('.test.ts')) found.push(rel);
  }
  return found;
}

describe('test projects', () => {
  it('the glob matcher reads the config as vitest does', () => {
    expect(globToRegExp('test/**/*-docker.test.ts').test('test/resources/ports-docker.test.ts')).toBe(true);
    expect(globToRegExp('test/docker/**/*.test.ts').test('test/docker/mounts.test.ts')).toBe(true);
    expect(globToRegExp('test/docker/**/*.test.ts').test('test/git/docker.test.ts')).toBe(false);
    expect(globToRegExp('test/attack/container.test.ts').test('test/attack/containerXtest.ts')).toBe(false);
  });

  it('every test file that uses a Docker engine is in the docker project', async () => {
    const docker = DOCKER_TESTS.map(globToRegExp);
    const misplaced: string[] = [];
    const self = path.relative(ROOT, fileURLToPath(import.meta.url));
    for (const file of await testFiles('test')) {
      if (file !== self && USES_ENGINE.test(await fsp.readFile(path.join(ROOT, file), 'utf8')) && !docker.some((re) => re.test(file))) misplaced.push(file);
    }
    expect(misplaced, 'add them to DOCKER_TESTS in vitest.config.ts').toEqual([]);
  });
});
