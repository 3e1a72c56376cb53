import type { IsolaneConfig } from './schema.js';

/**
 * What `configSchema.parse({})` gives, as a plain object: a repository without isolane.yaml
 * (the common case, and `ls`/`env`/`run` are hot paths) loads neither the YAML parser nor the
 * schema. test/unit/config-defaults.test.ts keeps the two equal.
 */
export function defaultConfig(): IsolaneConfig {
  return {
    branchPrefix: 'isolane/',
    lanes: { root: '../{repo}.lanes' },
    strategy: 'worktree',
    workloads: {},
    policy: [],
    copy: [],
    setup: [],
    teardown: [],
    share: [],
    services: {},
    worktree: {},
    clone: { mode: 'full' },
    container: {
      image: 'isolane/base:bookworm',
      network: 'bridge',
      ports: [],
      limits: { memory: '2g', cpus: 2, pids: 512 },
      env: {},
      mounts: [],
      caBundle: 'auto',
      proxy: 'host',
    },
    snapshot: { backend: 'auto' },
  };
}

/** Where a setting comes from, for errors (LoadedConfig.where). */
export type Where = (keys: readonly string[]) => string;

/** `where` of a setting no file sets. */
export const defaultsOnly: Where = (keys) => `${keys.join('.')} (default)`;

/** Where each key of isolane.yaml is: its path (keys joined by NUL), line and column. Plain data, so it can be cached. */
export type KeyPositions = ReadonlyArray<readonly [path: string, line: number, column: number]>;

/** `where` for a file: `isolane.yaml:4:3 lanes.root` where the file sets the key, else as for defaults. */
export function whereIn(file: string, positions: KeyPositions): Where {
  const at = new Map(positions.map(([keys, line, column]) => [keys, `${line}:${column}`]));
  const name = file.slice(file.lastIndexOf('/') + 1);
  return (keys) => {
    const pos = at.get(keys.join('\0'));
    return pos === undefined ? defaultsOnly(keys) : `${name}:${pos} ${keys.join('.')}`;
  };
}
