// @module-tag slow (env files in real lanes): the full suite only, not `npm run test:fast`
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/parse.js';
import { dotenvLines } from '../../src/resources/env/format.js';
import { exists, makeRepo, type TestRepo } from '../helpers/repo.js';

const execFileP = promisify(execFile);
let repo: TestRepo;
const base = 23_000 + (process.pid % 40) * 50; // its own band: see ports.test.ts

beforeEach(async () => {
  repo = await makeRepo();
});
afterEach(async () => {
  await repo.cleanup();
});

const config = (text: string): Promise<void> => fsp.writeFile(path.join(repo.root, 'isolane.yaml'), text);
/** Characters a shell or a dotenv reader would otherwise split, expand or cut. */
const NASTY = `it's "q" $HOME \`id\` a#b \\ x\ny`;

const yaml = (extra = ''): string =>
  `ports:\n  range: "${base}-${base + 49}"\n  names: [web, api]\nenv:\n  vars:\n    API_URL: "http://127.0.0.1:\${port.api}/\${lane}"\n    WHERE: "\${path}|\${branch}|$$lane"\n    NASTY: ${JSON.stringify(NASTY)}\n${extra}`;

const envOf = async (lane: string): Promise<Record<string, string>> => {
  const r = await repo.cli(['env', lane, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { env: Record<string, string> }).env;
};

describe('the lane environment', () => {
  it('isolane env: export lines evaluate in bash to the values, --json and --dotenv agree; run sees the same', async () => {
    await config(yaml());
    expect((await repo.cli(['up', 'a'])).code).toBe(0);
    const env = await envOf('a');
    const lanePath = path.join(repo.lanesRoot, 'a');
    const web = Number(env.PORT_WEB);
    expect(web).toBeGreaterThanOrEqual(base);
    expect(env).toMatchObject({
      ISOLANE_LANE: 'a',
      ISOLANE_BRANCH: 'isolane/a',
      ISOLANE_PATH: lanePath,
      PORT: String(web),
      API_URL: `http://127.0.0.1:${env.PORT_API}/a`,
      WHERE: `${lanePath}|isolane/a|$lane`,
      NASTY,
    });
    expect(env.PORT_API).not.toBe(env.PORT_WEB);
    // bash evaluates the export lines back to exactly these values (NUL-separated printout).
    const exports = await repo.cli(['env', 'a']);
    expect(exports.code).toBe(0);
    const names = Object.keys(env);
    const script = `eval "$(cat)"; for n in ${names.join(' ')}; do printf '%s\\0' "\${!n}"; done`;
    const child = execFileP('bash', ['-c', script], { env: { PATH: repo.env.PATH ?? '' } });
    child.child.stdin?.end(exports.stdout);
    const values = (await child).stdout.split('\0').slice(0, -1);
    expect(Object.fromEntries(names.map((n, i) => [n, values[i]]))).toEqual(env);
    const dotenv = await repo.cli(['env', 'a', '--dotenv']);
    expect(dotenv.stdout).toBe(dotenvLines(env));
    // Node reads the dotenv lines (the simple ones: its parser knows no escapes but \n).
    const simple = Object.fromEntries(Object.entries(env).filter(([k]) => k !== 'NASTY'));
    await fsp.writeFile(path.join(repo.dir, 'simple.env'), dotenvLines(simple));
    const node = await execFileP(process.execPath, [`--env-file=${path.join(repo.dir, 'simple.env')}`, '-e', 'process.stdout.write(JSON.stringify(process.env))'], { env: {} });
    expect(JSON.parse(node.stdout)).toMatchObject(simple);
    // isolane run gives the command the same environment.
    const run = await repo.cli(['run', 'a', '--', process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env))']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject(env);
    expect((await repo.cli(['env', 'a', '--json', '--dotenv'])).code).toBe(2);
    expect((await repo.cli(['env', 'nope'])).code).toBe(1);
  });

  it('writes env files (mode 0600) that git ignores in worktree and clone lanes, leaving the main checkout as it was', async () => {
    await config(`${yaml()}  files: [.env.isolane, server/.env]\n`);
    await fsp.writeFile(path.join(repo.root, 'untracked.txt'), 'mine');
    const mainBefore = await repo.git(['status', '--porcelain', '--untracked-files=all']);
    for (const [lane, strategy] of [['wt', 'worktree'], ['cl', 'clone']] as const) {
      const up = await repo.cli(['up', lane, '--strategy', strategy]);
      expect(up.code, up.stderr).toBe(0);
      const dir = path.join(repo.lanesRoot, lane);
      const env = await envOf(lane);
      for (const file of ['.env.isolane', 'server/.env']) {
        const stat = await fsp.stat(path.join(dir, file));
        expect(stat.mode & 0o777).toBe(0o600);
        const text = await fsp.readFile(path.join(dir, file), 'utf8');
        expect(text).toContain(`PORT_WEB=${env.PORT_WEB}\n`);
        expect(text).toContain(`ISOLANE_LANE=${lane}\n`);
      }
      expect(await repo.git(['status', '--porcelain', '--untracked-files=all'], dir)).toBe('');
      // down needs no --force: the env files are isolane's, not work.
      expect((await repo.cli(['down', lane])).code).toBe(0);
    }
    expect(await repo.git(['status', '--porcelain', '--untracked-files=all'])).toBe(mainBefore);
    expect(mainBefore).toContain('untracked.txt');
  });

  it('keeps the lines of an env file already in the lane, isolane\'s block last (its values win)', async () => {
    await fsp.writeFile(path.join(repo.root, 'app.env'), 'KEEP=1\nPORT_WEB=1\n');
    await repo.git(['add', 'app.env']);
    await repo.git(['commit', '-q', '-m', 'an env file']);
    await config(`${yaml()}  files: [app.env]\n`);
    expect((await repo.cli(['up', 'k'])).code).toBe(0);
    const text = await fsp.readFile(path.join(repo.lanesRoot, 'k', 'app.env'), 'utf8');
    expect(text.startsWith('KEEP=1\nPORT_WEB=1\n# isolane:begin')).toBe(true);
    expect(text.endsWith('# isolane:end\n')).toBe(true);
    const node = await execFileP(process.execPath, [`--env-file=${path.join(repo.lanesRoot, 'k', 'app.env')}`, '-e', 'process.stdout.write(process.env.KEEP + " " + process.env.PORT_WEB)'], { env: {} });
    expect(node.stdout).toBe(`1 ${(await envOf('k')).PORT_WEB}`);
  });

  it('writes no env file for a project that declares no ports, database or env', async () => {
    expect((await repo.cli(['up', 'plain'])).code).toBe(0);
    expect(await exists(path.join(repo.lanesRoot, 'plain', '.env.isolane'))).toBe(false);
    expect(await envOf('plain')).toEqual({ ISOLANE_LANE: 'plain', ISOLANE_BRANCH: 'isolane/plain', ISOLANE_PATH: path.join(repo.lanesRoot, 'plain') });
  });

  it('never writes through a symlink out of the lane: up fails, leaves no lane and writes nothing outside', async () => {
    const outside = path.join(repo.dir, 'outside');
    await fsp.mkdir(outside);
    await fsp.symlink(outside, path.join(repo.root, 'linked'));
    await repo.git(['add', 'linked']);
    await repo.git(['commit', '-q', '-m', 'a symlink']);
    await config(`${yaml()}  files: [linked/.env]\n`);
    const up = await repo.cli(['up', 'sym']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/linked.* is a symlink/);
    expect(await fsp.readdir(outside)).toEqual([]);
    expect(await exists(path.join(repo.lanesRoot, 'sym'))).toBe(false);
    expect(await exists(path.join(repo.root, '.git/isolane/lanes/sym.json'))).toBe(false);
    expect((await repo.cli(['ports', '--json'])).stdout).not.toContain('"sym"');
  });
});

describe('bad env config changes nothing', () => {
  for (const [what, text, line] of [
    ['an env file outside the lane', 'env:\n  files: ["../x"]\n', 2],
    ['an env file in .git', 'env:\n  files: [".git/hooks/x"]\n', 2],
    ['an absolute env file', 'env:\n  files: ["/tmp/x"]\n', 2],
    ['a reference to an unknown thing', 'env:\n  vars:\n    A: "${nope}"\n', 3],
    ['an unclosed reference', 'env:\n  vars:\n    A: "${lane"\n', 3],
    ['a database reference without a database', 'env:\n  vars:\n    A: "${db.url}"\n', 3],
    ['a variable that takes a leased port', 'ports:\n  names: [web]\nenv:\n  vars:\n    PORT_WEB: "1"\n', 5],
    ['an ISOLANE_ variable', 'env:\n  vars:\n    ISOLANE_LANE: "x"\n', 3],
  ] as const) {
    it(`refuses ${what} with file:line:col (exit 2)`, async () => {
      expect(parseConfigText(text, 'isolane.yaml').problems[0]).toMatchObject({ line });
      await config(text);
      const r = await repo.cli(['up', 'x']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`isolane\\.yaml:${line}:\\d+ env\\.|isolane\\.yaml:${line}:\\d+ `));
      expect(await exists(repo.lanesRoot)).toBe(false);
    });
  }
});
