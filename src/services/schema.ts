import * as z from 'zod';
import { argvSchema, VAR_NAME } from '../resources/schema.js';
import { parseDuration } from '../duration.js';
import { SERVICE_NAME } from './service-name.js';

/**
 * isolane.yaml `services:` — long-running processes of a lane (dev servers, workers) that
 * `isolane start` runs detached, `stop` ends and `watch` restarts. Pure schema, no I/O.
 */

export { SERVICE_NAME };
export const DEFAULT_READY_TIMEOUT = '60s';

const duration = z
  .string()
  .superRefine((d, ctx) => {
    const parsed = parseDuration(d);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  })
  .default(DEFAULT_READY_TIMEOUT)
  .meta({ description: 'How long to wait for readiness: 500ms, 60s, 2m…' });

const readySchema = z
  .union([
    z.strictObject({
      http: z
        .string()
        .max(1024)
        .regex(/^\/[\x21-\x7e]*$/, 'expected a path starting with / (no spaces or control characters)')
        .meta({ description: 'GET http://127.0.0.1:<port><path> answers with a status below 500.' }),
      timeout: duration,
    }),
    z.strictObject({
      log: z
        .string()
        .min(1)
        .max(1024)
        .superRefine((re, ctx) => {
          try {
            new RegExp(re);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(e as Error).message}` });
          }
        })
        .meta({ description: "A regular expression (JavaScript syntax) matched against the service's log." }),
      timeout: duration,
    }),
    z.strictObject({
      port: z.literal(true).meta({ description: 'Something accepts a TCP connection on 127.0.0.1:<port>.' }),
      timeout: duration,
    }),
  ])
  .meta({ description: 'When the service counts as ready: { http: "/" }, { log: "<regex>" } or { port: true }, each with an optional timeout (default 60s).' });

export const serviceSchema = z
  .strictObject({
    run: argvSchema.meta({ description: "The command (argv array, never a shell string), run in the lane's directory with its environment." }),
    port: z
      .string()
      .optional()
      .meta({ description: 'The name of a port of ports.names the service listens on (its URL, and the http and port readiness checks, use it).' }),
    ready: readySchema.optional(),
    env: z
      .record(
        z.string().regex(VAR_NAME, 'expected a variable name').refine((k) => !k.startsWith('ISOLANE_'), "ISOLANE_* variables are isolane's own"),
        z.string().max(8192).refine((v) => !v.includes('\0'), 'expected no NUL character'),
      )
      .refine((v) => Object.keys(v).length <= 100, 'expected at most 100 variables')
      .default({})
      .meta({ description: "Extra variables of this service (the lane's own variables win)." }),
    restart: z
      .enum(['on-failure', 'always', 'never'])
      .default('on-failure')
      .meta({ description: '`isolane watch`: restart the service when it exits unasked (on-failure, always) or leave it exited (never).' }),
  })
  .meta({ description: 'A long-running process of each lane: `isolane start`, `stop`, `logs`, `watch`.' });

export type ServiceConfig = z.output<typeof serviceSchema>;
export type ReadyConfig = NonNullable<ServiceConfig['ready']>;

export const SERVICES_SECTION = {
  services: z
    .record(z.string(), serviceSchema)
    .superRefine((s, ctx) => {
      // Checked here, not by the key schema: its error would not say what a name may be.
      for (const name of Object.keys(s)) {
        if (!SERVICE_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'expected a service name of 1-30 of a-z, 0-9 and -, starting with a letter' });
      }
      if (Object.keys(s).length > 32) ctx.addIssue({ code: 'custom', message: 'expected at most 32 services' });
    })
    .default({})
    .meta({ description: 'Long-running processes of each lane, by name: started detached, health-checked, supervised by `isolane watch`.' }),
};

/** Cross-section rules (the config schema's superRefine): a service's port is a declared one; http and port checks need one. */
export function checkServiceReferences(
  config: { readonly ports?: { readonly names: readonly string[] } | undefined; readonly services?: Readonly<Record<string, { readonly port?: string | undefined; readonly ready?: unknown }>> | undefined },
  ctx: z.RefinementCtx,
): void {
  const names = config.ports?.names ?? [];
  for (const [name, service] of Object.entries(config.services ?? {})) {
    if (service.port !== undefined && !names.includes(service.port)) {
      ctx.addIssue({
        code: 'custom',
        path: ['services', name, 'port'],
        message: `${JSON.stringify(service.port)} is not a port of ports.names (${names.length > 0 ? names.join(', ') : 'none declared'})`,
      });
    }
    const ready = service.ready as { http?: unknown; port?: unknown } | undefined;
    if (service.port === undefined && ready && ('http' in ready || 'port' in ready)) {
      ctx.addIssue({ code: 'custom', path: ['services', name, 'ready'], message: 'an http or port check needs the service\'s port: set port to a name of ports.names' });
    }
  }
}
