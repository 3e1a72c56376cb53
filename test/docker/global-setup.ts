import { DEFAULT_IMAGE } from '../../src/config/schema.js';
import { createContext } from '../../src/context.js';
import { dockerClient, probeDocker } from '../../src/docker/client.js';
import { buildBaseImage, imagePresent } from '../../src/docker/image.js';

/**
 * Builds the images once for the docker and bench tests (about 40 s and 90 s), unless they are there.
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
  const logger = { progress: (m: string) => process.stderr.write(`${m}\n`), warn: () => {}, debug: () => {} };
  // The base image for container lanes, and the one with Node.js the bench's agents run in.
  for (const node of [false, true]) {
    const ref = node ? `${DEFAULT_IMAGE}-node` : DEFAULT_IMAGE;
    if (await imagePresent(docker, ref)) continue;
    process.stderr.write(`building ${ref} for the docker and bench tests...\n`);
    await buildBaseImage(createContext({ logger }), { node });
  }
}
