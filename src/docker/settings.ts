import * as z from 'zod';
import { parseSize } from '../size.js';
import { mountTargetProblem, overlaps } from './mount-target.js';

import { DEFAULT_IMAGE } from './default-image.js';

export { DEFAULT_IMAGE };
/** Docker refuses a memory limit under 6 MiB (and reads 0 as none). */
const MIN_MEMORY = 6 * 2 ** 20;

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

export const containerSettings = z
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
  .meta({ description: 'Settings of the container strategy. Containers always run hardened: all capabilities dropped, no-new-privileges, a non-root user, no Docker socket.' });

export type ContainerSettings = z.output<typeof containerSettings>;
