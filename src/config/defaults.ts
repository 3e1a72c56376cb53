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
