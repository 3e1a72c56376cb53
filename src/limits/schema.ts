import * as z from 'zod';
import { parseSize } from '../size.js';

/** Below this a lane's tools cannot start at all; 0 would read as "no limit". */
const MIN_MEMORY = 6 * 2 ** 20;

const memory = z
  .string()
  .regex(/^\d+(?:\.\d+)?[kmg]?$/i, 'expected a size such as 512m or 2g')
  .refine((v) => parseSize(v) >= MIN_MEMORY, 'expected at least 6m (0 would mean no limit at all)');
// A CFS quota under 1 ms per 100 ms period is refused by the kernel.
const cpus = z.number().min(0.01, 'expected at least 0.01 of a core').max(1024);
const pids = z.number().int().min(8, 'expected at least 8 (a shell and its tools)').max(4_194_304);

export const limitsSchema = z
  .strictObject({
    memory: memory.optional().meta({ examples: ['2g'], description: 'Memory of each lane (k, m, g suffixes): at more, the kernel kills a process of the lane.' }),
    cpus: cpus.optional().meta({ examples: [1.5], description: 'CPU time of each lane, in cores (fractions allowed).' }),
    pids: pids.optional().meta({ examples: [512], description: 'Most processes and threads at once in each lane.' }),
  })
  .meta({
    description:
      'Caps of each host lane (worktree, clone, snapshot): commands of `isolane run` and `isolane shell`, and set-up and teardown steps, run in a cgroup of the lane. Container lanes use container.limits.',
  });

export const budgetSchema = z
  .strictObject({
    memory: memory.optional().meta({ examples: ['8g'], description: 'Memory of all host lanes of this repository together.' }),
    cpus: cpus.optional().meta({ examples: [4], description: 'CPU time of all host lanes of this repository together, in cores.' }),
    pids: pids.optional().meta({ description: 'Most processes and threads of all host lanes of this repository together.' }),
  })
  .meta({ description: "Caps of all host lanes of this repository together: a cgroup holding every lane's own." });

export type Limits = z.output<typeof limitsSchema>;
export type Budget = z.output<typeof budgetSchema>;

export const LIMITS_SECTIONS = {
  limits: limitsSchema.optional(),
  budget: budgetSchema.optional(),
};

export { capsOf, hasCaps, type Caps } from './caps.js';
