import * as z from 'zod';
import { STRATEGY_LOADERS, type StrategyName } from '../../strategies/index.js';
import { BRANCH_PREFIX } from '../git/names.js';

export const DEFAULT_IMAGE = 'isolane/base:bookworm';

/** Strategy names the schema accepts; each has one file in strategies/. */
export const STRATEGY_NAMES = Object.keys(STRATEGY_LOADERS) as [StrategyName, ...StrategyName[]];

/** Top-level sections planned for later versions: named here so that using one gives a clear error. */
export const RESERVED_SECTIONS = ['ports', 'database', 'setup', 'policy', 'workloads', 'services'] as const;

export const configSchema = z
  .strictObject({
    base: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_./-]{0,199}$/, 'expected a branch name such as main')
      .optional()
      .meta({
        examples: ['main'],
        description:
          'Branch that lanes start from and merge back into. Default: the branch checked out in the main worktree when the lane is made.',
      }),
    branchPrefix: z
      .string()
      .max(60)
      .regex(BRANCH_PREFIX, 'expected ref-safe path segments such as isolane/ or agents/')
      .refine((s) => !/\.\.|\.lock(\/|$)|\.(\/|$)/.test(s), 'expected ref-safe path segments such as isolane/ or agents/')
      .default('isolane/')
      .meta({ description: 'Prefix of every lane branch: lane fix-login gets branch <branchPrefix>fix-login.' }),
    lanes: z
      .strictObject({
        root: z
          .string()
          .min(1)
          .refine((s) => !s.includes('\0'), 'expected a path')
          .default('../{repo}.lanes')
          .meta({
            description:
              'Directory that holds one directory per lane, relative to the repository root. {repo} is the repository directory name. Keep it outside the repository so watchers there never see lane files.',
          }),
      })
      .default({ root: '../{repo}.lanes' })
      .meta({ description: 'Where lane checkouts live.' }),
    strategy: z
      .enum(STRATEGY_NAMES)
      .default('worktree')
      .meta({
        description:
          'How lanes are isolated by default: worktree (git worktree, one shared object store), clone (a full clone per lane), container (a Docker container over its own clone).',
      }),
    clone: z
      .strictObject({
        mode: z
          .enum(['full', 'reference', 'blobless'])
          .default('full')
          .meta({
            description:
              'full: an independent clone with its own object store. reference: borrows objects from the main repository through alternates (fast and small, but pruning the main repository can corrupt the lane). blobless: --filter=blob:none, file contents fetched on demand.',
          }),
      })
      .default({ mode: 'full' })
      .meta({ description: 'Settings of the clone strategy.' }),
    container: z
      .strictObject({
        image: z
          .string()
          .regex(/^[a-z0-9][a-z0-9._/:@-]{0,254}$/, 'expected an image reference such as isolane/base:bookworm')
          .default(DEFAULT_IMAGE)
          .meta({ description: 'Image of every container lane. `isolane image build` makes the default one locally (git, a shell; --node adds Node.js).' }),
        network: z
          .enum(['bridge', 'none'])
          .default('bridge')
          .meta({ description: 'bridge: a network of its own with outbound access; none: no network at all.' }),
        ports: z
          .array(z.number().int().min(1).max(65535))
          .max(32)
          .default([])
          .meta({ description: 'Container ports to publish, each on a free port of 127.0.0.1 only (never on other interfaces).' }),
        limits: z
          .strictObject({
            memory: z
              .string()
              .regex(/^\d+(?:\.\d+)?[kmg]?$/i, 'expected a size such as 512m or 2g')
              .default('2g')
              .meta({ description: 'Memory limit (k, m, g suffixes).' }),
            cpus: z.number().positive().max(1024).default(2).meta({ description: 'CPU limit, in cores (fractions allowed).' }),
            pids: z.number().int().min(16).max(1_000_000).default(512).meta({ description: 'Most processes and threads at once.' }),
          })
          .default({ memory: '2g', cpus: 2, pids: 512 })
          .meta({ description: 'Resource limits of each container lane.' }),
      })
      .refine((c) => c.network !== 'none' || c.ports.length === 0, {
        message: 'needs a network: with network: none nothing can be published',
        path: ['ports'],
      })
      .default({ image: DEFAULT_IMAGE, network: 'bridge', ports: [], limits: { memory: '2g', cpus: 2, pids: 512 } })
      .meta({ description: 'Settings of the container strategy. Containers always run hardened: all capabilities dropped, no-new-privileges, a non-root user, no Docker socket.' }),
  })
  .meta({ title: 'isolane.yaml', description: 'isolane settings for one repository: how lanes for parallel agents are named, placed and isolated.' });

export type IsolaneConfig = z.output<typeof configSchema>;
export type IsolaneConfigInput = z.input<typeof configSchema>;
