import * as z from 'zod';

/** Settings of the worktree strategy: none yet. Loaded only when isolane.yaml is validated. */
export const settings = z.strictObject({}).default({}).meta({ description: 'Settings of the worktree strategy (none yet).' });
