import * as z from 'zod';
import { SNAPSHOT_BACKENDS } from '../src/snapshot/backend.js';

/** The snapshot strategy's section of isolane.yaml; loaded only when isolane.yaml is validated. */
export const settings = z
  .strictObject({
    backend: z
      .enum(['auto', ...SNAPSHOT_BACKENDS])
      .default('auto')
      .meta({
        description:
          'How a lane gets its copy-on-write layer. auto: the first that works here of kernel (overlayfs; root or CAP_SYS_ADMIN), fuse (fuse-overlayfs, for an unprivileged user) and reflink (a clone of the base checkout on btrfs, XFS with reflink=1, APFS).',
      }),
  })
  .default({ backend: 'auto' })
  .meta({ description: 'Settings of the snapshot strategy.' });

export type SnapshotSettings = z.output<typeof settings>;
