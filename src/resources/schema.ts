import * as z from 'zod';
import { referenceProblem } from './env/references.js';
import { parseRange, portVariable } from './ports/range.js';
import { normaliseSharePath, sharePathProblem } from './share/share-path.js';
import { relativeFileProblem } from './relative-path.js';
import { DB_PREFIX, SOURCE_DB_NAME } from './database/names.js';
import { parseServerUrl } from './database/url.js';

/**
 * The isolane.yaml sections of a lane's resources (ports, environment and ignored files, set-up,
 * database). Each is optional: a project that declares none gets a lane of files only.
 */

const PORT_NAME = /^[a-z][a-z0-9_]{0,29}$/;
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A command as an argv array: never a shell string. */
export const argvSchema = z.array(z.string().min(1).max(4096).refine((s) => !s.includes('\0'), 'expected no NUL byte')).min(1).max(256);

export const portsSchema = z
  .strictObject({
    range: z
      .string()
      .superRefine((r, ctx) => {
        const parsed = parseRange(r);
        if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
      })
      .default('20000-29999')
      .meta({ description: 'Ports leased to lanes come from this range (inclusive, within 1024-65535).' }),
    names: z
      .array(z.string().regex(PORT_NAME, 'expected a port name such as web or api (a-z, 0-9, _)'))
      .min(1)
      .max(16)
      .refine((n) => new Set(n).size === n.length, 'expected each name once')
      .meta({ description: 'One port per name for each lane: PORT_<NAME> in its environment, PORT for the first.' }),
  })
  .meta({ description: 'Port leases: each lane gets its own ports, held until `down`, never handed to two lanes.' });

export const envSchema = z
  .strictObject({
    vars: z
      .record(
        z.string().regex(VAR_NAME, 'expected a variable name').refine((k) => !k.startsWith('ISOLANE_'), "ISOLANE_* variables are isolane's own"),
        z.string().max(8192).refine((v) => !v.includes('\0'), 'expected no NUL character'),
      )
      .refine((v) => Object.keys(v).length <= 200, 'expected at most 200 variables')
      .default({})
      .meta({ description: 'Variables of every lane. References: ${lane}, ${branch}, ${path}, ${port.<name>}, ${db.url}, ${db.name}; $$ is a literal $.' }),
    files: z
      .array(
        z
          .string()
          .min(1)
          .max(1024)
          .superRefine((f, ctx) => {
            const problem = relativeFileProblem(f, 'lane');
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
      )
      .max(16)
      .default(['.env.isolane'])
      .meta({ description: "Files in the lane (relative to its root, not in .git) that get the lane's environment as NAME=value lines; git in the lane ignores them." }),
  })
  .meta({ description: "The lane's environment, given to run, shell, set-up steps and containers, and written to env files." });

/**
 * Cross-section rules of the resources (the config schema's superRefine): every reference in
 * env.vars names something declared, and no variable takes a leased port's name.
 */
export function checkResourceReferences(
  config: { readonly ports?: { readonly names: readonly string[] } | undefined; readonly env?: { readonly vars: Readonly<Record<string, string>> } | undefined; readonly database?: unknown },
  ctx: z.RefinementCtx,
): void {
  const portNames = config.ports?.names ?? [];
  const own = new Set(portNames.length > 0 ? ['PORT', ...portNames.map(portVariable)] : []);
  for (const [name, value] of Object.entries(config.env?.vars ?? {})) {
    if (own.has(name)) ctx.addIssue({ code: 'custom', path: ['env', 'vars', name], message: `${name} is a leased port's variable; isolane sets it` });
    const problem = referenceProblem(value, { portNames, database: config.database !== undefined });
    if (problem) ctx.addIssue({ code: 'custom', path: ['env', 'vars', name], message: problem });
  }
}

export const copySchema = z
  .array(z.string().min(1).max(1024))
  .max(256)
  .meta({ description: 'Ignored files copied from the main checkout into each new lane (gitignore-style patterns), beside those a .worktreeinclude file names.' });

export const setupSchema = z.array(argvSchema).max(64).meta({ description: 'Commands (argv arrays) run in each new lane after its shared directories are seeded, in order, with its environment; a failing one leaves the lane setup-failed (`isolane setup <lane>` retries).' });
export const teardownSchema = z.array(argvSchema).max(64).meta({ description: 'Commands (argv arrays) run in a lane before `down` removes it; all together within 120 s; a failure is reported, not blocking.' });

export const shareSchema = z
  .array(
    z.strictObject({
      path: z
        .string()
        .min(1)
        .max(1024)
        .superRefine((p, ctx) => {
          const problem = sharePathProblem(p);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .meta({ description: 'Directory relative to the repository root, such as node_modules or web/node_modules; git must ignore it.' }),
      mode: z
        .enum(['auto', 'reflink', 'hardlink', 'copy', 'symlink', 'none'])
        .default('auto')
        .meta({ description: "auto: reflink where the filesystem clones files, else copy. hardlink and symlink share the main checkout's files: an install in any lane changes them for all (see README)." }),
    }),
  )
  .max(16)
  .refine((s) => new Set(s.map((e) => normaliseSharePath(e.path))).size === s.length, 'expected each path once')
  .meta({ description: 'Directories (such as node_modules) seeded from the main checkout before set-up, when the lockfile matches.' });

const databaseCommon = {
  prefix: z
    .string()
    .regex(DB_PREFIX, 'expected 1-20 of a-z, 0-9 and _, starting with a letter')
    .optional()
    .meta({ description: "Start of each lane database's name (<prefix>_<lane>_<hash>, at most 63 bytes); default: the repository's directory name." }),
  migrate: argvSchema.optional().meta({ description: "A command (argv) run in the lane once its database exists, with the lane's environment (DATABASE_URL included)." }),
};

export const databaseSchema = z
  .discriminatedUnion('provider', [
    z.strictObject({
      provider: z.literal('postgres').meta({ description: 'postgres: CREATE DATABASE <lane database> TEMPLATE <source> per lane, dropped at down.' }),
      url: z
        .string()
        .superRefine((u, ctx) => {
          const parsed = parseServerUrl(u);
          if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
        })
        .optional()
        .meta({ description: "The server and source database (postgres://user:password@host:5432/app); default: DATABASE_URL of isolane's environment." }),
      template: z
        .string()
        .regex(SOURCE_DB_NAME, 'expected a database name of letters, digits, _ . $ and - (at most 63)')
        .optional()
        .meta({ description: "The database each lane's is copied from; default: the URL's database. Nobody may be connected to it while a lane is made." }),
      ...databaseCommon,
    }),
    z.strictObject({
      provider: z.literal('sqlite').meta({ description: 'sqlite: the file copied into each lane (copy-on-write where the filesystem can).' }),
      path: z
        .string()
        .superRefine((p, ctx) => {
          const problem = relativeFileProblem(p, 'repository');
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .meta({ description: 'The SQLite file, relative to the repository root; each lane gets its own copy at the same place, excluded from git.' }),
      ...databaseCommon,
    }),
    z.strictObject({
      provider: z.literal('command').meta({ description: 'command: your own commands make and drop the branch (a hosted branching service, DBLab).' }),
      create: argvSchema.meta({ description: "Makes the lane's database (argv, run in the main checkout with the lane's environment and ISOLANE_DB_NAME); prints its URL as the first line." }),
      drop: argvSchema.meta({ description: "Drops it (argv, same environment); must succeed when it is already gone." }),
      ...databaseCommon,
    }),
  ])
  .meta({ description: 'A database branch per lane: its own copy of a database, DATABASE_URL in its environment, dropped at down.' });

export const RESOURCE_SECTIONS = {
  ports: portsSchema.optional(),
  // Optional: a project that declares no env (nor ports, nor database) gets no env files.
  env: envSchema.optional(),
  copy: copySchema.default([]),
  setup: setupSchema.default([]),
  teardown: teardownSchema.default([]),
  share: shareSchema.default([]),
  database: databaseSchema.optional(),
};
