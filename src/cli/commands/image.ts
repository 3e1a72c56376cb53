import type { Context } from '../../context.js';
import { buildBaseImage } from '../../docker/image.js';
import { printJson } from '../output.js';

export async function imageBuildCommand(ctx: Context, opts: { node?: boolean; tag?: string; mirror?: string; json?: boolean }): Promise<void> {
  const image = await buildBaseImage(ctx, {
    ...(opts.node ? { node: true } : {}),
    ...(opts.tag ? { tag: opts.tag } : {}),
    ...(opts.mirror ? { mirror: opts.mirror } : {}),
  });
  if (opts.json) printJson(image);
  else process.stdout.write(`built ${image.tag} (${image.id.slice(7, 19)}) with ${image.packages.join(', ')}\n`);
}
