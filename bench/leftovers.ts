import type { Context } from '../src/context.js';

/**
 * Removes the containers, and the networks, that carry any of `labels` (`key=value`), when an
 * engine answers: what a failed bench step left. isolane's shared lanes network carries none of
 * them and stays.
 */
export async function removeContainers(ctx: Context, labels: readonly string[]): Promise<void> {
  const { dockerClient, probeDocker } = await import('../src/docker/client.js');
  if (!(await probeDocker(ctx)).available) return;
  const { docker } = dockerClient(ctx);
  for (const label of labels) {
    for (const info of await docker.listContainers({ all: true, filters: { label: [label] } })) {
      await docker.getContainer(info.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    for (const info of await docker.listNetworks({ filters: { label: [label] } })) {
      await docker.getNetwork(info.Id).remove().catch(() => undefined);
    }
  }
}
