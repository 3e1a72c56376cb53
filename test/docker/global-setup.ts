import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { createContext } from '../../src/context.js';
import { dockerClient, probeDocker } from '../../src/docker/client.js';
import { buildBaseImage } from '../../src/docker/image.js';

/**
 * Builds the base image once for the docker tests (about 40 s), unless it is already there.
 * Without an engine the docker tests skip, saying why; under CI=true that is a failure.
 */
export default async function setup(): Promise<void> {
  const ctx = createContext();
  const probe = await probeDocker(ctx);
  if (!probe.available) {
    if (process.env.CI === 'true') throw new Error(`CI=true but the docker tests cannot run: ${probe.reason ?? ''}`);
    process.stderr.write(`docker tests will skip: ${probe.reason ?? ''}\n`);
    return;
  }
  const { docker } = dockerClient(ctx);
  const present = await docker
    .getImage(DEFAULT_IMAGE)
    .inspect()
    .then(
      () => true,
      (e: { statusCode?: number }) => {
        if (e.statusCode === 404) return false;
        throw e;
      },
    );
  if (!present) {
    process.stderr.write(`building ${DEFAULT_IMAGE} for the docker tests...\n`);
    await buildBaseImage(createContext({ logger: { progress: (m) => process.stderr.write(`${m}\n`), warn: () => {}, debug: () => {} } }));
  }
}
