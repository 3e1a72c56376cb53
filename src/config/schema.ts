import * as z from 'zod';
import { NEEDS, STRATEGY_NAMES } from '../../strategies/index.js';
import { mountTargetProblem, overlaps } from '../docker/mount-target.js';
import { BRANCH_PREFIX, LANE_NAME } from '../git/names.js';
import { parseSize } from './size.js';
import { checkResourceReferences, RESOURCE_SECTIONS } from '../resources/schema.js';

export const DEFAULT_IMAGE = 'isolane/base:bookworm';
const MIN_MEMORY = 6 * 2 ** 20;


/** Top-level sections planned for later versions: named here so that using one gives a clear error. */
export const RESERVED_SECTIONS = ['services'] as const;

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
        'What each lane must get: process-isolation, network-isolation, resource-limits (a container), own-remote (a repository of its own), own-object-store (a clone that borrows nothing).',
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
        docker: z.boolean().optional().meta({ description: 'A Docker engine is (true) or is not (false) reachable.' }),
      })
      .default({})
      .meta({ description: 'Every condition given must hold; none given: always.' }),
    strategy: strategyName.meta({ description: 'The strategy this rule chooses.' }),
    because: z.string().max(200).optional().meta({ description: 'Why, in words: shown among the reasons of a decision.' }),
  })
  .meta({ description: 'When the conditions hold, choose this strategy.' });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/**
 * The git variables container.env may set: identity, transport and display. The others (GIT_DIR,
 * GIT_INDEX_FILE, GIT_CONFIG_* ...) would change what isolane's own git sees in the lane, and so
 * what it counts as the lane's work.
 */
const GIT_ENV_ALLOWED = /^GIT_(?:AUTHOR_|COMMITTER_|SSL_|SSH|HTTP_|TRACE|ASKPASS$|TERMINAL_PROMPT$|EDITOR$|PAGER$)/;

const envName = z
  .string()
  .regex(ENV_NAME, 'expected a variable name (letters, digits and _, not starting with a digit)')
  .refine((k) => !k.startsWith('ISOLANE_'), "ISOLANE_* variables are isolane's own")
  .refine((k) => !k.startsWith('GIT_') || GIT_ENV_ALLOWED.test(k), 'would change what git in the lane reads, so what isolane counts as its work; of GIT_* only identity, transport and display variables (GIT_AUTHOR_*, GIT_COMMITTER_*, GIT_SSL_*, GIT_SSH*, GIT_HTTP_*, GIT_TRACE*, GIT_ASKPASS, GIT_TERMINAL_PROMPT, GIT_EDITOR, GIT_PAGER)');

const envSchema = z
  .record(
    envName,
    // YAML reads `DEBUG: 1` as a number: any scalar will do, and is passed as the string a shell would see.
    z.union([z.string().max(32_768).refine((v) => !v.includes('\0'), 'expected no NUL character'), z.number(), z.boolean()]),
    // A bad name's own reason, rather than zod's "Invalid key in record".
    { error: (issue) => (issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? 'expected a variable name') : undefined) },
  )
  .refine((env) => Object.keys(env).length <= 200, 'expected at most 200 variables')
  .default({})
  .meta({
    description:
      'Variables of every container lane (name: value), set when its container is made and again for each run and shell, so edits apply without a new lane. They win over the proxy and CA variables isolane sets. Not ISOLANE_*, and of GIT_* only identity, transport and display variables.',
  });

const mountSchema = z
  .strictObject({
    source: z
      .string()
      .min(1)
      .max(4096)
      .refine((s) => !s.includes('\0'), 'expected a path')
      .meta({
        description:
          "Host file or directory, relative to the repository root. Symlinks are resolved and the real path is checked: the main repository's .git, the lanes root, /proc, /sys, /dev, sockets and container engine sockets are refused.",
      }),
    target: z
      .string()
      .superRefine((t, ctx) => {
        const problem = mountTargetProblem(t);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .meta({ examples: ['/data'], description: "Absolute path inside the container; not /workspace, /etc/isolane, /proc, /sys or /dev, nor a system directory whole (/, /etc, /usr, /tmp ...)." }),
    readOnly: z.boolean().default(true).meta({ description: "false lets the lane write there, on the host (as the lane's user: your uid, 65532 when isolane runs as root)." }),
  })
  .meta({ description: 'A host path lent to every container lane.' });

export type Workload = z.output<typeof workloadSchema>;
/** A workload's traits when isolane.yaml says nothing of them. */
export const defaultWorkload = (): Workload => workloadSchema.parse({});
export type PolicyRule = z.output<typeof ruleSchema>;

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
          'How lanes are isolated by default: worktree (git worktree, one shared object store), clone (a full clone per lane), container (a Docker container over its own clone), or auto (the policy chooses per workload, see `isolane policy explain`).',
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
    ...RESOURCE_SECTIONS,
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
          .meta({ description: 'bridge: the isolane-lanes network (lanes cannot reach each other; they reach the host and beyond); none: no network at all.' }),
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
              // Docker reads 0 as "no limit" and refuses less than 6 MiB.
              .refine((v) => parseSize(v) >= MIN_MEMORY, 'expected at least 6m (0 would mean no limit at all)')
              .default('2g')
              .meta({ description: 'Memory limit (k, m, g suffixes).' }),
            cpus: z.number().positive().max(1024).default(2).meta({ description: 'CPU limit, in cores (fractions allowed).' }),
            pids: z.number().int().min(16).max(1_000_000).default(512).meta({ description: 'Most processes and threads at once.' }),
          })
          .default({ memory: '2g', cpus: 2, pids: 512 })
          .meta({ description: 'Resource limits of each container lane.' }),
        env: envSchema,
        mounts: z
          .array(mountSchema)
          .max(32)
          .superRefine((mounts, ctx) => {
            for (const [i, m] of mounts.entries()) {
              const other = mounts.findIndex((o, j) => j < i && overlaps(o.target, m.target));
              if (other >= 0) ctx.addIssue({ code: 'custom', path: [i, 'target'], message: `overlaps the target of mount ${other} (${mounts[other]?.target ?? ''})` });
            }
          })
          .default([])
          .meta({ description: 'Host files and directories lent to every container lane made after the change, read-only unless readOnly: false.' }),
        caBundle: z
          .string()
          .min(1)
          .max(4096)
          .refine((s) => !s.includes('\0'), 'expected auto, off or a path')
          .default('auto')
          .meta({
            description:
              "auto: the host's CA bundle (the file SSL_CERT_FILE names, else the system bundle, plus NODE_EXTRA_CA_CERTS's file), mounted read-only at /etc/isolane/ca/ and named by SSL_CERT_FILE, GIT_SSL_CAINFO, CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE and NODE_EXTRA_CA_CERTS in the container. off: the image's own. A path (relative to the repository root): that PEM bundle.",
          }),
        proxy: z
          .enum(['host', 'off'])
          .default('host')
          .meta({ description: "host: the host's HTTP_PROXY, HTTPS_PROXY and NO_PROXY (either case) are set in the container; off: none." }),
      })
      .refine((c) => c.network !== 'none' || c.ports.length === 0, {
        message: 'needs a network: with network: none nothing can be published',
        path: ['ports'],
      })
      .default({ image: DEFAULT_IMAGE, network: 'bridge', ports: [], limits: { memory: '2g', cpus: 2, pids: 512 }, env: {}, mounts: [], caBundle: 'auto', proxy: 'host' })
      .meta({ description: 'Settings of the container strategy. Containers always run hardened: all capabilities dropped, no-new-privileges, a non-root user, no Docker socket.' }),
  })
  .superRefine(checkResourceReferences)
  .meta({ title: 'isolane.yaml', description: 'isolane settings for one repository: how lanes for parallel agents are named, placed and isolated.' });

export type IsolaneConfig = z.output<typeof configSchema>;
export type IsolaneConfigInput = z.input<typeof configSchema>;
