/**
 * What every contract case works with: the strategy under test and its differences (options),
 * a fresh repository per case whose isolane.yaml names the strategy, and observations made
 * without isolane where they can be (git, the filesystem, the engine) and through its public
 * surfaces (the CLI, the library) where only they reach (a container lane's git).
 */
import path from 'node:path';
import type Docker from 'dockerode';
import { expect, test } from 'vitest';
import { Isolane } from '../../src/index.js';
import { killGroup, spawnCli, type Spawned } from '../helpers/crash.js';
import { expectNoLeaks, repoIdOf } from '../helpers/leaks.js';
import { exists, makeRepo, type CliResult, type TestRepo } from '../helpers/repo.js';

export interface ContractOptions {
  /**
   * What the strategy needs of the host. 'docker': without a reachable engine the suite is
   * skipped, saying why (under CI=true that is a failure); leak checks include its containers.
   */
  readonly needs?: 'docker' | 'mount';
  /**
   * 'own' (default): a lane keeps refs of its own, so a stash or a branch made in it exists
   * nowhere else and `down` must refuse to lose it. 'shared': the lane's refs are the main
   * repository's (a git worktree): such work is already outside the lane and stays after `down`.
   */
  readonly refs?: 'own' | 'shared';
  /** Where a command `isolane run` starts finds the checkout; default: the lane's directory. */
  readonly workdir?: string;
  /** YAML appended to isolane.yaml after `strategy: <name>`. */
  readonly config?: string;
  /** How many distinct lanes one case brings up at once (default 8). */
  readonly concurrentLanes?: number;
  /** kill -9s that must land in each of `up` and `down` (default 25, as README promises). */
  readonly kills?: number;
  /** Races of each kind (default 20, as README promises). */
  readonly races?: number;
  /**
   * Contract cases the strategy is known to fail today. Each runs as an expected failure
   * (`it.fails`): the suite stays green while the gap is open and turns red the day it closes,
   * when the entry must go.
   */
  readonly knownGaps?: readonly ContractGap[];
  /**
   * How a person removes a lane's directory by hand; default `rm -rf`. A lane whose directory is
   * a mount (snapshot) is unmounted first, as `rm -rf` alone cannot remove a mount point.
   */
  readonly removeByHand?: (dir: string) => Promise<void>;
}

/**
 * - write-during-removal: a file written into the lane after down's check and before its
 *   removal is removed with the lane, unreported (only a worktree's removal looks again).
 */
export type ContractGap = 'write-during-removal';

/** The strategy under test, its options resolved. */
export interface Contract {
  readonly strategy: string;
  readonly refs: 'own' | 'shared';
  readonly workdir: string | undefined;
  readonly config: string;
  readonly concurrentLanes: number;
  readonly kills: number;
  readonly races: number;
  readonly knownGaps: readonly ContractGap[];
  readonly removeByHand: (dir: string) => Promise<void>;
  /** The engine, for a strategy that needs one (its containers count as leaks). */
  readonly docker: Docker | undefined;
}

export interface LsEntry {
  readonly lane: string;
  readonly state: string;
  readonly strategy: string;
  readonly branch?: string;
  readonly path: string;
  readonly dirty?: number;
  readonly ahead?: number;
  readonly behind?: number;
  readonly merged?: boolean;
  readonly note?: string;
}

export const DEFAULT_FILES = { 'README.md': '# fixture\n', 'src/app.js': 'console.log("app");\n', 'package.json': '{"name":"fixture"}\n' } as const;

/**
 * Each case's own repository (isolane.yaml names the strategy), and what cases do with it. A
 * fixture of the case (see `contractIt`), so cases may run concurrently.
 */
export class Lanes {
  #iso: Promise<Isolane> | undefined;
  readonly #spawned: Spawned[] = [];

  private constructor(
    readonly c: Contract,
    readonly repo: TestRepo,
  ) {}

  static async create(c: Contract): Promise<Lanes> {
    return new Lanes(c, await makeRepo({ files: { ...DEFAULT_FILES, 'isolane.yaml': `strategy: ${c.strategy}\n${c.config}` } }));
  }

  /**
   * Whatever the case left: the processes it started, every lane isolane lists, then (with an
   * engine) every container labelled for this repository, and only that; then the repository.
   */
  async dispose(): Promise<void> {
    for (const p of this.#spawned.splice(0)) {
      killGroup(p.pid);
      await p.closed.catch(() => undefined);
    }
    const ls = await this.repo.cli(['ls', '--json']);
    if (ls.code === 0) for (const l of JSON.parse(ls.stdout) as LsEntry[]) await this.repo.cli(['down', l.lane, '--force']);
    if (this.c.docker) {
      const id = await repoIdOf(this.repo);
      for (const info of await this.c.docker.listContainers({ all: true, filters: { label: [`isolane.repo=${id}`] } })) {
        await this.c.docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
      }
    }
    await this.repo.cleanup();
  }

  lanePath(lane: string): string {
    return path.join(this.repo.lanesRoot, lane);
  }

  /** The checkout as a command run in the lane sees it. */
  workdir(lane: string): string {
    return this.c.workdir ?? this.lanePath(lane);
  }

  cli(args: readonly string[], env?: Record<string, string>): Promise<CliResult> {
    return this.repo.cli(args, env ? { env } : {});
  }

  /** `isolane up <lane>`: succeeds and prints the lane's directory. */
  async up(lane: string, extra: readonly string[] = []): Promise<string> {
    const r = await this.cli(['up', lane, ...extra]);
    expect(r.code, `isolane up ${lane} ${extra.join(' ')}\n${r.stderr}`).toBe(0);
    expect(r.stdout.trim()).toBe(this.lanePath(lane));
    return this.lanePath(lane);
  }

  /** `isolane down <lane>`: succeeds; returns its output. */
  async down(lane: string, extra: readonly string[] = []): Promise<string> {
    const r = await this.cli(['down', lane, ...extra]);
    expect(r.code, `isolane down ${lane} ${extra.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }

  /** The CLI in a process group of its own, to be killed (see helpers/crash.ts); ended after the case. */
  spawn(args: readonly string[], env: Record<string, string> = {}): Spawned {
    const p = spawnCli(this.repo, args, env);
    this.#spawned.push(p);
    return p;
  }

  /**
   * The library on this repository, opened once per case. Cases observe through it (list, run)
   * where the CLI is not what they test: no process to start each time.
   */
  lib(): Promise<Isolane> {
    return (this.#iso ??= Isolane.open({ cwd: this.repo.root, env: this.repo.env }));
  }

  /**
   * `sh -c <script>` run in the lane through the library (`isolane run` itself is tested in
   * lifecycle.ts), its output without the final newline.
   */
  async sh(lane: string, script: string): Promise<CliResult> {
    const r = await (await this.lib()).run(lane, ['sh', '-c', script]);
    return { code: r.exitCode, stdout: r.stdout.replace(/\n$/, ''), stderr: r.stderr };
  }

  async shOk(lane: string, script: string): Promise<string> {
    const r = await this.sh(lane, script);
    expect(r.code, `in lane ${lane}: ${script}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }

  /** Commits a new file in the lane (from inside it); returns the commit. */
  async commit(lane: string, file: string, message: string): Promise<string> {
    return (await this.shOk(lane, `echo '${message}' > ${file} && git add ${file} && git commit -q -m '${message}' && git rev-parse HEAD`)).trim();
  }

  /** Every lane, as `isolane ls --json` lists it. */
  async lsCli(): Promise<LsEntry[]> {
    const r = await this.cli(['ls', '--json']);
    expect(r.code, `isolane ls --json\n${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as LsEntry[];
  }

  /** Every lane, as the library lists it (what `ls --json` prints). */
  async ls(): Promise<LsEntry[]> {
    return (await this.lib()).list();
  }

  async stateOf(lane: string): Promise<string | undefined> {
    return (await this.ls()).find((l) => l.lane === lane)?.state;
  }

  async oid(rev = 'main'): Promise<string> {
    return (await this.repo.git(['rev-parse', '--verify', `${rev}^{commit}`])).trim();
  }

  /** The commit a ref of the main repository points at; undefined when there is no such ref. */
  async refOid(ref: string): Promise<string | undefined> {
    return (await this.repo.git(['for-each-ref', '--format=%(objectname)', ref])).trim() || undefined;
  }

  /**
   * A whole lane at `oid`: listed ready on its branch at its path, the start commit's files in
   * its directory, and, seen from inside, on branch isolane/<lane> at `oid` with nothing changed.
   * Where the lane shares the main repository's refs, the branch is there too.
   */
  async expectReady(lane: string, oid: string, files: readonly string[] = Object.keys(DEFAULT_FILES)): Promise<void> {
    const dir = this.lanePath(lane);
    expect((await this.ls()).find((l) => l.lane === lane), `ls of ${lane}`).toMatchObject({ lane, state: 'ready', strategy: this.c.strategy, branch: `isolane/${lane}`, path: dir });
    for (const file of files) expect(await exists(path.join(dir, file)), `${lane}/${file}`).toBe(true);
    const inside = await this.shOk(lane, 'git symbolic-ref HEAD; git rev-parse HEAD; git status --porcelain');
    expect(inside, `git in lane ${lane}`).toBe(`refs/heads/isolane/${lane}\n${oid}`);
    if (this.c.refs === 'shared') expect(await this.refOid(`refs/heads/isolane/${lane}`), `branch of ${lane} in the main repository`).toBe(oid);
  }

  /** Nothing of any lane is left (see helpers/leaks.ts), containers included. */
  expectNoLeaks(what = ''): Promise<void> {
    return expectNoLeaks(this.repo, this.c.docker, what);
  }
}

/** `it` with a `t` fixture: a fresh repository for the strategy, cleaned up after the case. */
export function contractIt(c: Contract) {
  return test.extend<{ t: Lanes }>({
    t: async ({ task: _ }, use) => {
      const lanes = await Lanes.create(c);
      try {
        await use(lanes);
      } finally {
        await lanes.dispose();
      }
    },
  });
}
