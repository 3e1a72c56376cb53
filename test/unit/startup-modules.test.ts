/**
 * Agents call `isolane path`, `ls`, `env` and `run` many times per task, so what a command loads
 * is part of its cost. This runs the built CLI (npm run build first) under a Node module hook that
 * records every module loaded, maps the bundle's chunks back to their input modules through
 * esbuild's metafile (dist/cli/meta.json), and fails when a command loads a package it does not
 * need: an eager import of one anywhere on the command's path shows up here.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedBuiltins, loadedModules as traced, packageOf, readMetafile, type Metafile } from '../helpers/module-trace.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

/** Packages that cost start-up: none may load unless the command's allowance below names it. */
const COSTLY = [
  'commander', // the full parser: the plain forms of the hot commands skip it (src/cli/fast-path.ts)
  'yaml', // only with an isolane.yaml to parse
  'zod',
  'fastest-levenshtein', // did-you-mean in config errors
  'simple-git', // only to show checkout progress on a terminal
  'debug',
  'execa',
  'fs-native-extensions', // only when a lock file is really locked
  'dockerode', // only for container lanes
  'ssh2',
  'pg',
  'get-port',
  'ignore',
  'tinybench',
  'chart.js',
] as const;

type Costly = (typeof COSTLY)[number];

/**
 * What each command may load of COSTLY, and why. `path` and `--version` load none: they are the
 * floor. The lane commands open the project, which loads the strategy plug-ins (strategies/):
 * their settings schemas (zod) load only to validate an isolane.yaml, so none here.
 */
const ALLOWED: Record<string, { readonly argv: readonly string[]; readonly allowed: readonly Costly[] }> = {
  version: { argv: ['--version'], allowed: [] },
  path: { argv: ['path', 'a'], allowed: [] },
  pathJson: { argv: ['path', 'a', '--json'], allowed: [] },
  ls: { argv: ['ls'], allowed: [] },
  env: { argv: ['env', 'a'], allowed: [] },
  // It runs the command through execa (src/process/exec-in-dir.ts), holding the lane (a shared lock) until it starts.
  run: { argv: ['run', 'a', '--', 'true'], allowed: ['execa', 'fs-native-extensions'] },
};

/** The inputs `from` imports statically, directly or not, never passing through a module `skip` matches. */
function staticallyReached(from: string, skip: RegExp): Set<string> {
  const seen = new Set([from]);
  const queue = [from];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const { path: to, kind } of meta.inputs[next]?.imports ?? []) {
      if ((kind !== 'import-statement' && kind !== 'require-call') || skip.test(to) || seen.has(to)) continue;
      seen.add(to);
      queue.push(to);
    }
  }
  return seen;
}

let repo: TestRepo;
let meta: Metafile;

beforeAll(async () => {
  meta = await readMetafile();
  repo = await makeRepo(); // no isolane.yaml: defaults
  const up = await repo.cli(['up', 'a']);
  expect(up.code, up.stderr).toBe(0);
});

afterAll(async () => {
  await repo?.cleanup();
});

/** The input modules (src files and package files) a CLI run loaded. */
const loadedModules = (argv: readonly string[]): ReturnType<typeof traced> => traced(repo, meta, argv);

describe('start-up: a command loads only what it needs (no isolane.yaml)', () => {
  for (const [name, { argv, allowed }] of Object.entries(ALLOWED)) {
    it(`isolane ${argv.join(' ')}`, async () => {
      const { code, inputs, stderr } = await loadedModules(argv);
      expect(code, stderr).toBe(0);
      // The hook saw the run (so an empty list cannot pass): the entry, and the command's own module.
      expect([...inputs]).toContain('src/cli/main.ts');
      if (name !== 'version') expect([...inputs]).toContain(`src/cli/commands/${argv[0]}.ts`);
      const packages = new Set([...inputs].map(packageOf).filter((p): p is string => p !== undefined));
      const unwanted = COSTLY.filter((p) => packages.has(p) && !allowed.includes(p));
      expect(unwanted, `loaded by \`isolane ${argv.join(' ')}\`; the modules that import them load them eagerly`).toEqual([]);
    });
  }

  it('ls loads what starts its statuses ahead (src/git/ahead.ts) only where it has a plan to start', async () => {
    const empty = await makeRepo(); // no lanes: its ls reads no status, and keeps no plan
    try {
      for (let i = 0; i < 2; i++) {
        const { code, inputs, stderr } = await traced(empty, meta, ['ls']);
        expect(code, stderr).toBe(0);
        expect([...inputs]).toContain('src/git/ahead-plan.ts');
        expect([...inputs]).not.toContain('src/git/ahead.ts');
      }
    } finally {
      await empty.cleanup();
    }
    expect((await repo.cli(['ls'])).code).toBe(0); // lane a's status: the plan
    const { code, inputs, stderr } = await loadedModules(['ls']);
    expect(code, stderr).toBe(0);
    expect([...inputs]).toContain('src/git/ahead.ts');
  });

  it('the lane commands reach zod and execa only through the strategy plug-ins', () => {
    for (const command of ['ls', 'env', 'run']) {
      const reached = [...staticallyReached(`src/cli/commands/${command}.ts`, /^strategies\//)];
      expect(reached.length).toBeGreaterThan(10);
      const packages = new Set(reached.map(packageOf));
      expect(['zod', 'execa', 'yaml', 'simple-git'].filter((p) => packages.has(p)), `imported by \`isolane ${command}\` outside strategies/`).toEqual([]);
    }
  });

  it('with an isolane.yaml validated before, ls, env and run load neither the YAML parser nor the schema (src/config/cache.ts)', async () => {
    const yaml = path.join(repo.root, 'isolane.yaml');
    await fsp.writeFile(yaml, 'branchPrefix: isolane/\nports:\n  names: [web]\n');
    try {
      const first = await loadedModules(['ls']);
      expect(first.code, first.stderr).toBe(0);
      expect([...first.inputs].map(packageOf)).toContain('yaml'); // parsed the first time: the trace sees a parse
      for (const argv of [['ls'], ['env', 'a'], ['run', 'a', '--', 'true']]) {
        const { code, inputs, builtins, stderr } = await loadedModules(argv);
        expect(code, stderr).toBe(0);
        const packages = new Set([...inputs].map(packageOf));
        expect(['yaml', 'zod', 'fastest-levenshtein'].filter((p) => packages.has(p)), `loaded by \`isolane ${argv.join(' ')}\``).toEqual([]);
        if (argv[0] !== 'run') expect(builtins.has('crypto'), `node:crypto loaded by \`isolane ${argv.join(' ')}\` (the cache key is hashed without it)`).toBe(false);
      }
    } finally {
      await fsp.rm(yaml, { force: true });
    }
  });

  it('ls, env, path, up and down load neither node:crypto (temp files are named without it), nor fs.promises, nor node:module (about 3.5 ms together)', async () => {
    for (const argv of [['ls'], ['env', 'a'], ['path', 'a'], ['up', 'b'], ['down', 'b']]) {
      // The CommonJS preload lists Node's internal modules too: `fs.promises` loads internal/fs/promises, never fs/promises.
      const { code, builtins, stderr } = await loadedBuiltins(repo, argv);
      expect(code, stderr).toBe(0);
      expect(builtins.has('vm'), 'the trace lists builtins').toBe(true);
      expect(['crypto', 'fs/promises', 'internal/fs/promises', 'module'].filter((m) => builtins.has(m)), `loaded by \`isolane ${argv.join(' ')}\``).toEqual([]);
    }
  });

  it('env and path, which run no process, load neither node:child_process nor the streams and sockets it needs (about 2 ms), nor node:module or node:os', async () => {
    for (const argv of [['env', 'a'], ['path', 'a']]) {
      const { code, builtins, stderr } = await loadedBuiltins(repo, argv);
      expect(code, stderr).toBe(0);
      expect(builtins.has('vm'), 'the trace lists builtins').toBe(true);
      expect(['child_process', 'net', 'stream', 'module', 'os'].filter((m) => builtins.has(m)), `loaded by \`isolane ${argv.join(' ')}\``).toEqual([]);
    }
    const ls = await loadedBuiltins(repo, ['ls']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(['child_process', 'net', 'stream'].every((m) => ls.builtins.has(m))).toBe(true); // its git status needs them: the check sees them
  });

  it('path and --version load no package at all (but the hash of the repository id), and no config, strategy or engine code beyond the journal', async () => {
    for (const argv of [['--version'], ['path', 'a']]) {
      const { inputs } = await loadedModules(argv);
      // @noble/hashes: the repository id's SHA-256 (src/git/repo.ts), a few KB in main.cjs, run only when an id is asked for.
      expect([...inputs].filter((i) => packageOf(i) !== undefined && packageOf(i) !== '@noble/hashes')).toEqual([]);
      expect([...inputs].filter((i) => /^(?:strategies\/|src\/config\/|src\/engine\/project\.ts$)/.test(i))).toEqual([]);
    }
  });
});
