import { parseSize } from '../size.js';

// Apart from schema.ts: `run` and `ls` use caps without loading the schemas (zod).

/** Caps in the kernel's units: bytes, cores, processes; undefined: none. */
export interface Caps {
  readonly memory: number | undefined;
  readonly cpus: number | undefined;
  readonly pids: number | undefined;
}

/** A validated `limits:` or `budget:` section of isolane.yaml (schema.ts), in the kernel's units. */
export const capsOf = (c: { readonly memory?: string | undefined; readonly cpus?: number | undefined; readonly pids?: number | undefined } | undefined): Caps => ({
  memory: c?.memory === undefined ? undefined : parseSize(c.memory),
  cpus: c?.cpus,
  pids: c?.pids,
});

export const hasCaps = (c: Caps): boolean => c.memory !== undefined || c.cpus !== undefined || c.pids !== undefined;
