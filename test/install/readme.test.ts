/**
 * README's commands, run as written, so that README cannot drift from what works:
 * - Quick start: from a tarball `npm pack` made, installed into a fresh project whose `.npmrc`
 *   sets `ignore-scripts=true`, with no compiler on PATH (nothing of isolane is built at install);
 * - the Library example, as a module of that project;
 * - Try it, in this checkout of isolane: `npm ci` is what prepared the checkout for this run and
 *   `npm test` is this run, so those two are the only lines not run again here.
 */
import { execa } from 'execa';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const README = path.join(ROOT, 'README.md');

/** The lines of the first fenced block of `lang` after `heading`. */
async function block(heading: string, lang: string): Promise<string[]> {
  const text = await fsp.readFile(README, 'utf8');
  const at = text.indexOf(`\n${heading}\n`);
  expect(at, `README has ${heading}`).toBeGreaterThan(-1);
  const open = text.indexOf(`\`\`\`${lang}\n`, at);
  return text.slice(open + lang.length + 4, text.indexOf('\n```', open)).split('\n');
}

/** Commands of a shell block: comments and blank lines dropped. */
const commands = (lines: string[]): string[] => lines.map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'));

const which = (tool: string, env?: Record<string, string>) => execa('bash', ['-c', 'command -v -- "$1"', 'which', tool], { reject: false, ...(env ? { env, extendEnv: false } : {}) });

/** A PATH with node, npm, npx, git and a shell only: no python3, make or C/C++ compiler. */
async function bareBin(dir: string): Promise<string> {
  const bin = path.join(dir, 'bin');
  await fsp.mkdir(bin);
  for (const tool of ['node', 'git', 'sh', 'bash', 'env']) await fsp.symlink(await fsp.realpath((await which(tool)).stdout.trim()), path.join(bin, tool));
  // npm and npx find their own modules from where they really are.
  for (const tool of ['npm', 'npx']) {
    const real = await fsp.realpath((await which(tool)).stdout.trim());
    await fsp.writeFile(path.join(bin, tool), `#!/bin/sh\nexec node ${JSON.stringify(real)} "$@"\n`, { mode: 0o755 });
  }
  return bin;
}

describe('README, run as written', () => {
  let dir: string;
  let project: string;
  let env: Record<string, string>;
  const run = (line: string, cwd: string, timeout = 240_000) => execa('bash', ['-c', line], { cwd, env, extendEnv: false, reject: false, all: true, timeout });

  beforeAll(async () => {
    dir = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-readme-')));
    // `npm test` built the package; pack what it built, running no script.
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
    const filename = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename;
    const home = path.join(dir, 'home');
    await fsp.mkdir(home);
    await fsp.writeFile(path.join(home, '.gitconfig'), '[user]\n\tname = readme\n\temail = readme@isolane.invalid\n[init]\n\tdefaultBranch = main\n');
    const passed = Object.entries(process.env).filter(([k]) => /^(https?_proxy|no_proxy|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|npm_config_registry|npm_config_cafile)$/i.test(k));
    env = {
      ...(Object.fromEntries(passed) as Record<string, string>),
      PATH: await bareBin(dir),
      HOME: home,
      // The host's npm cache: the registry is asked once per package, not once per run.
      npm_config_cache: path.join(os.homedir(), '.npm'),
      ISOLANE_TGZ: path.join(dir, filename),
      GIT_CONFIG_NOSYSTEM: '1',
      LC_ALL: 'C',
    };
    project = path.join(dir, 'shop');
    await fsp.mkdir(project);
    await fsp.writeFile(path.join(project, 'package.json'), `${JSON.stringify({ name: 'shop', private: true, scripts: { test: 'node -e "console.log(40 + 2)"' } }, null, 2)}\n`);
    await fsp.writeFile(path.join(project, '.npmrc'), 'ignore-scripts=true\n');
    await fsp.writeFile(path.join(project, '.gitignore'), 'node_modules/\n');
    for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-qm', 'shop']]) await execa('git', args, { cwd: project, env, extendEnv: false });
  }, 300_000);

  afterAll(async () => {
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('installs with no compiler on PATH', async () => {
    for (const tool of ['python3', 'make', 'g++', 'cc', 'gcc', 'node-gyp']) {
      const r = await which(tool, env);
      expect(r.exitCode, `${tool} is reachable: ${r.stdout}`).not.toBe(0);
    }
  });

  it('Quick start: every command works, from the tarball, with ignore-scripts=true', async () => {
    const lines = commands(await block('## Quick start', 'sh'));
    expect(lines[0]).toBe('npm install --save-dev "$ISOLANE_TGZ"');
    const lane = path.join(dir, 'shop.lanes', 'fix-login');
    for (const line of lines) {
      const r = await run(line, project);
      expect(r.exitCode, `${line}\n${r.all}`).toBe(0);
      if (line.includes(' up fix-login')) expect(r.stdout.trim()).toBe(lane);
      if (line.includes(' run fix-login')) expect(r.stdout).toContain('42');
      if (line.includes(' ls')) expect(r.stdout).toContain('fix-login');
    }
    expect(existsSync(path.join(project, 'node_modules', 'isolane', 'bin', 'isolane.js'))).toBe(true);
    expect(existsSync(lane), 'the last command removed the lane').toBe(false);
    expect((await execa('git', ['branch', '--list', 'isolane/*'], { cwd: project, env, extendEnv: false })).stdout.trim()).toBe('');
  });

  it('Library: the example runs as a module of the project', async () => {
    await fsp.writeFile(path.join(project, 'example.mjs'), (await block('## Library', 'js')).join('\n'));
    const r = await run('node example.mjs', project, 120_000);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`${path.join(dir, 'shop.lanes', 'fix-login')} isolane/fix-login 0`);
    expect(existsSync(path.join(dir, 'shop.lanes', 'fix-login'))).toBe(false);
  });

  it('Try it: the bench and the demo, in this checkout', async () => {
    const lines = commands(await block('## Try it', 'sh')).filter((l) => l !== 'npm ci' && l !== 'npm test');
    expect(lines).toEqual(['./bin/isolane.js bench --quick --fixture small', 'npm run demo']);
    // The bench writes ./isolane-bench: run it from a scratch directory, not from the checkout.
    const scratch = path.join(dir, 'try-it');
    await fsp.mkdir(scratch);
    const bench = await execa(path.join(ROOT, 'bin', 'isolane.js'), lines[0]!.split(' ').slice(1), { cwd: scratch, reject: false, all: true, timeout: 600_000 });
    expect(bench.exitCode, `${lines[0]}\n${bench.all}`).toBe(0);
    expect((await fsp.readdir(path.join(scratch, 'isolane-bench'))).length).toBeGreaterThan(0);
    const demo = await execa('npm', ['run', 'demo'], { cwd: ROOT, reject: false, all: true, timeout: 300_000 });
    expect(demo.exitCode, `npm run demo\n${demo.all}`).toBe(0);
  }, 900_000);
});
