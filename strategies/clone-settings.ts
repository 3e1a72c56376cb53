import * as z from 'zod';

/**
 * The clone strategy's section of isolane.yaml. Its own file, loaded only when isolane.yaml is
 * validated (or its schema written): commands without a config file never load zod.
 */
export const MODES = ['full', 'reference', 'blobless'] as const;
export type Mode = (typeof MODES)[number];

export const settings = z
  .strictObject({
    mode: z
      .enum(MODES)
      .default('full')
      .meta({
        description:
          'full: an independent clone with its own object store. reference: borrows objects from the main repository through alternates (fast and small, but pruning the main repository can corrupt the lane). blobless: --filter=blob:none, file contents fetched on demand.',
      }),
  })
  .default({ mode: 'full' })
  .meta({ description: 'Settings of the clone strategy.' });

export type CloneSettings = z.output<typeof settings>;
