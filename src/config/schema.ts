import * as z from 'zod';
import { STRATEGY_LOADERS, type StrategyName } from '../../strategies/index.js';
import { BRANCH_PREFIX } from '../git/names.js';

/** Strategy names the schema accepts; each has one file in strategies/. */
export const STRATEGY_NAMES = Object.keys(STRATEGY_LOADERS) as [StrategyName, ...StrategyName[]];

/** Top-level sections planned for later versions: named here so that using one gives a clear error. */
export const RESERVED_SECTIONS = ['ports', 'database', 'setup', 'policy', 'workloads', 'container', 'services'] as const;

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
  })
  .meta({ title: 'isolane.yaml', description: 'isolane settings for one repository: how lanes for parallel agents are named, placed and isolated.' });

export type IsolaneConfig = z.output<typeof configSchema>;
export type IsolaneConfigInput = z.input<typeof configSchema>;
