/**
 * The user's cache (src/fs/user-cache.ts): an entry is written whole or not at all, and the temp
 * files a killed writer left beside it go when another entry is written there.
 */
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCacheBytes, writeCacheFileSync } from '../../src/fs/user-cache.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-user-cache-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has ended (and is not ours). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

const exists = (file: string): Promise<boolean> => fsp.lstat(file).then(() => true, () => false);

describe('user cache', () => {
  it('writes an entry whole, through no temp file left behind', async () => {
    const entry = path.join(dir, 'config', 'a.json');
    writeCacheFileSync(entry, '{"a":1}');
    expect(readCacheBytes(entry, 1024)?.toString('utf8')).toBe('{"a":1}');
    expect(await fsp.readdir(path.dirname(entry))).toEqual(['a.json']);
  });

  it('removes the temp files of writers that are gone, or a day old, and keeps a live writer\'s', async () => {
    const sub = path.join(dir, 'code');
    await fsp.mkdir(sub);
    const dead = path.join(sub, `ls-x.v8.${deadPid()}.0badcafe.tmp`);
    const oldStyle = path.join(sub, `ls-x.v8.${deadPid()}.${Date.now()}.tmp`); // as writers named them before the nonce
    const live = path.join(sub, 'ls-x.v8.1.0badcafe.tmp'); // pid 1 runs
    const liveButOld = path.join(sub, 'ls-y.v8.1.0badcafe.tmp');
    const notOurs = path.join(sub, 'notes.tmp');
    for (const f of [dead, oldStyle, live, liveButOld, notOurs]) await fsp.writeFile(f, 'partial');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    await fsp.utimes(liveButOld, twoDaysAgo, twoDaysAgo);

    writeCacheFileSync(path.join(sub, 'env-y.v8'), 'data');
    expect(await exists(dead)).toBe(false);
    expect(await exists(oldStyle)).toBe(false);
    expect(await exists(liveButOld)).toBe(false);
    expect(await exists(live)).toBe(true);
    expect(await exists(notOurs)).toBe(true);
    expect(readCacheBytes(path.join(sub, 'env-y.v8'), 1024)?.toString('utf8')).toBe('data');
  });

  it('a symlink planted at an entry is replaced, never written through', async () => {
    const sub = path.join(dir, 'ahead');
    await fsp.mkdir(sub);
    const target = path.join(dir, 'victim');
    await fsp.writeFile(target, 'mine');
    await fsp.symlink(target, path.join(sub, 'p.json'));
    writeCacheFileSync(path.join(sub, 'p.json'), 'plan');
    expect(await fsp.readFile(target, 'utf8')).toBe('mine');
    expect((await fsp.lstat(path.join(sub, 'p.json'))).isFile()).toBe(true);
  });
});
