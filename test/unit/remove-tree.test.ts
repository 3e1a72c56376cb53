import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/context.js';
import { removeTree } from '../../src/process/remove-tree.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-rm-')));
});
afterEach(async () => fsp.rm(dir, { recursive: true, force: true }));

describe('removeTree', () => {
  it('removes a tree, never what a symlink in it leads to; a tree that is not there is fine', async () => {
    const outside = path.join(dir, 'outside');
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(outside, 'keep.txt'), 'keep');
    const tree = path.join(dir, 'lane');
    await fsp.mkdir(path.join(tree, 'a', 'b'), { recursive: true });
    await fsp.writeFile(path.join(tree, 'a', 'b', 'file.txt'), 'x');
    await fsp.chmod(path.join(tree, 'a', 'b', 'file.txt'), 0o400);
    await fsp.symlink(outside, path.join(tree, 'link'));
    const ctx = createContext({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    await removeTree(ctx, tree);
    await expect(fsp.lstat(tree)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await fsp.readFile(path.join(outside, 'keep.txt'), 'utf8')).toBe('keep');
    await removeTree(ctx, tree);
    // A lane directory that is itself a symlink: the link goes, what it leads to stays.
    await fsp.symlink(outside, tree);
    await removeTree(ctx, tree);
    await expect(fsp.lstat(tree)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await fsp.readFile(path.join(outside, 'keep.txt'), 'utf8')).toBe('keep');
    await expect(removeTree(ctx, 'relative/path')).rejects.toThrow(TypeError);
  });
});
