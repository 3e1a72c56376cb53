import * as z from 'zod';
import { STRATEGIES, STRATEGY_NAMES, type StrategySettings } from '../../strategies/index.js';
import { NEEDS } from '../../strategies/strategy.js';
import { BRANCH_PREFIX, LANE_NAME } from '../git/names.js';
import { checkResourceReferences, RESOURCE_SECTIONS } from '../resources/schema.js';
import { LIMITS_SECTIONS } from '../limits/schema.js';
import { checkServiceReferences, SERVICES_SECTION } from '../services/schema.js';

export { DEFAULT_IMAGE } from '../docker/settings.js';

/** Top-level sections planned for later versions: named here so that using one gives a clear error. */
export const RESERVED_SECTIONS: readonly string[] = [];

const strategyName = z.enum(STRATEGY_NAMES);
const needs = z.array(z.enum(NEEDS)).max(NEEDS.length);
const trust = z.enum(['trusted', 'untrusted']);
const bound = z.enum(['cpu', 'io']);
const workloadName = z.string().regex(LANE_NAME, 'expected a name of 1-40 of a-z, 0-9 and -, starting with a letter or digit');

const workloadSchema = z
  .strictObject({
    description: z.string().max(200).optional().meta({ description: 'What the agents of this workload do (shown by `isolane policy explain`).' }),
    trust: trust.default('trusted').meta({ description: 'untrusted: the agents run code nobody reviewed; only a strategy that keeps it off the host will do.' }),
    needs: needs.default([]).meta({
      description:
        'What each lane must get: process-isolation, network-isolation, resource-limits (a container, or host lanes with limits set where cgroups work), own-remote (a repository of its own), own-object-store (a clone that borrows nothing).',
    }),
    agents: z.number().int().min(1).max(1000).default(1).meta({ description: 'How many lanes of this workload run at once (disk is checked for that many).' }),
    bound: bound.default('io').meta({ description: 'cpu: builds and tests dominate; io: mostly reading, editing and fetching.' }),
  })
  .meta({ description: 'A kind of agent work, described by what it needs; `strategy: auto` and `up --workload` choose its strategy.' });

const ruleSchema = z
  .strictObject({
    when: z
      .strictObject({
        workload: z.union([workloadName, z.array(workloadName).min(1)]).optional().meta({ description: 'The workload name, or any of a list.' }),
        trust: trust.optional().meta({ description: 'The workload is trusted, or untrusted.' }),
        needs: needs.optional().meta({ description: 'The workload needs all of these.' }),
        bound: bound.optional().meta({ description: 'The workload is cpu- or io-bound.' }),
        minAgents: z.number().int().min(1).optional().meta({ description: 'The workload runs at least this many agents at once.' }),
        maxAgents: z.number().int().min(1).optional().meta({ description: 'The workload runs at most this many agents at once.' }),
        minFiles: z.number().int().min(0).optional().meta({ description: 'The main checkout tracks at least this many files.' }),
        available: z.union([strategyName, z.array(strategyName).min(1)]).optional().meta({ description: "These strategies can run here (each one's probe says so: a Docker engine for container, a way to mount for snapshot)." }),
      })
      .default({})
      .meta({ description: 'Every condition given must hold; none given: always.' }),
    strategy: strategyName.meta({ description: 'The strategy this rule chooses.' }),
    because: z.string().max(200).optional().meta({ description: 'Why, in words: shown among the reasons of a decision.' }),
  })
  .meta({ description: 'When the conditions hold, choose this strategy.' });

export type Workload = z.output<typeof workloadSchema>;
/** A workload's traits when isolane.yaml says nothing of them. */
export const defaultWorkload = (): Workload => workloadSchema.parse({});
export type PolicyRule = z.output<typeof ruleSchema>;

/** Each strategy's own section, named after it: its plug-in's settings schema (strategies/), loaded here. */
const strategySections = Object.fromEntries(await Promise.all(STRATEGIES.map(async (p) => [p.name, await p.settings()] as const))) as { [K in keyof StrategySettings]: z.ZodType<StrategySettings[K]> };

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
      .enum([...STRATEGY_NAMES, 'auto'])
      .default('worktree')
      .meta({
        description:
          `How lanes are isolated by default: ${STRATEGIES.map((p) => `${p.name} (${p.summary})`).join(', ')}, or auto (the policy chooses per workload, see \`isolane policy explain\`).`,
      }),
    workloads: z
      .record(workloadName, workloadSchema)
      .default({})
      .meta({ description: 'Named kinds of agent work and what they need. A workload named default applies to lanes made without --workload.' }),
    policy: z
      .array(ruleSchema)
      .max(100)
      .default([])
      .meta({ description: 'Rules evaluated in order after the built-in ones (see README, Choosing a strategy): the last rule whose conditions hold chooses.' }),
    ...RESOURCE_SECTIONS,
    ...LIMITS_SECTIONS,
    ...SERVICES_SECTION,
    ...strategySections,
  })
  .superRefine(checkResourceReferences)
  .superRefine(checkServiceReferences)
  .meta({ title: 'isolane.yaml', description: 'isolane settings for one repository: how lanes for parallel agents are named, placed and isolated.' });

export type IsolaneConfig = z.output<typeof configSchema>;
export type IsolaneConfigInput = z.input<typeof configSchema>;
