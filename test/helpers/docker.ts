import { createContext } from '../../src/context.js';
import { probeDocker } from '../../src/docker/client.js';

/** Whether the docker tests run here; when not, the reason is printed once per file. */
export async function dockerAvailable(file: string): Promise<boolean> {
  const probe = await probeDocker(createContext());
  if (!probe.available) {
    if (process.env.CI === 'true') throw new Error(`CI=true but no Docker engine for ${file}: ${probe.reason ?? ''}`);
    process.stderr.write(`${file}: skipping, ${probe.reason ?? ''}\n`);
  }
  return probe.available;
}
