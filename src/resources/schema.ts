import * as z from 'zod';

/**
 * The isolane.yaml sections of a lane's resources (ports, environment and ignored files, set-up,
 * database). Each is optional: a project that declares none gets a lane of files only.
 */

const PORT_NAME = /^[a-z][a-z0-9_]{0,29}$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A command as an argv array: never a shell string. */
export const argvSchema = z.array(z.string().min(1).max(4096).refine((s) => !s.includes('\0'), 'expected no NUL byte')).min(1).max(256);

export const portsSchema = z
  .strictObject({
    range: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, 'expected a range such as 20000-29999')
      .refine((r) => {
        const [lo, hi] = r.split('-').map(Number) as [number, number];
        return lo >= 1024 && hi <= 65535 && lo <= hi;
      }, 'expected low-high with 1024 <= low <= high <= 65535')
      .default('20000-29999')
      .meta({ description: 'Ports leased to lanes come from this range (inclusive).' }),
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
      .record(z.string().regex(VAR_NAME, 'expected a variable name'), z.string().max(8192))
      .default({})
      .meta({ description: 'Variables of every lane. References: ${lane}, ${branch}, ${path}, ${port.<name>}, ${db.url}, ${db.name}.' }),
    files: z
      .array(z.string().min(1).max(1024))
      .max(16)
      .default(['.env.isolane'])
      .meta({ description: "Files in the lane (relative to its root) that get the lane's environment as NAME=value lines; excluded from git in the lane." }),
  })
  .meta({ description: "The lane's environment, given to run, shell, set-up steps and containers, and written to env files." });

export const copySchema = z
  .array(z.string().min(1).max(1024))
  .max(256)
  .meta({ description: 'Ignored files copied from the main checkout into each new lane (gitignore-style patterns), beside those a .worktreeinclude file names.' });

export const setupSchema = z.array(argvSchema).max(64).meta({ description: 'Commands (argv arrays) run in each new lane, in order, with its environment.' });
export const teardownSchema = z.array(argvSchema).max(64).meta({ description: 'Commands (argv arrays) run in a lane before `down` removes it; a failure is reported, not blocking.' });

export const shareSchema = z
  .array(
    z.strictObject({
      path: z.string().min(1).max(1024),
      mode: z.enum(['auto', 'reflink', 'hardlink', 'copy', 'symlink', 'none']).default('auto'),
    }),
  )
  .max(16)
  .meta({ description: 'Directories (such as node_modules) seeded from the main checkout before set-up, when the lockfile matches.' });

export const databaseSchema = z
  .strictObject({
    provider: z.enum(['postgres', 'sqlite', 'command']),
  })
  .passthrough()
  .meta({ description: 'A database branch per lane.' });

export const RESOURCE_SECTIONS = {
  ports: portsSchema.optional(),
  env: envSchema.default({ vars: {}, files: ['.env.isolane'] }),
  copy: copySchema.default([]),
  setup: setupSchema.default([]),
  teardown: teardownSchema.default([]),
  share: shareSchema.default([]),
  database: databaseSchema.optional(),
};
