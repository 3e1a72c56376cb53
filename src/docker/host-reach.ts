import type { ContainerSettings } from './settings.js';
import { resolveCaTrust } from './ca-trust.js';
import { resolveMounts, type BindMount, type HostPlaces } from './mounts.js';
import { proxyEnv } from './proxy.js';

/** What a lane's container takes from the host beside its checkout: trust, proxies, variables, mounts. */
export interface HostReach {
  readonly env: Readonly<Record<string, string>>;
  readonly mounts: readonly BindMount[];
  /** Said once, when a container is made. */
  readonly warnings: readonly string[];
}

/**
 * Resolves container.caBundle, container.proxy, container.env and container.mounts against this
 * host, checking every path before any Docker call (bad input: an IsolaneError, exit 2).
 * Variables, later ones winning: the CA bundle's, the proxies', then container.env.
 */
export async function resolveHostReach(settings: ContainerSettings, places: HostPlaces, where: (keys: readonly string[]) => string): Promise<HostReach> {
  const trust = await resolveCaTrust(settings.caBundle, places, where);
  const mounts = await resolveMounts(settings.mounts, places, where);
  const proxy = proxyEnv(settings.network === 'none' ? 'off' : settings.proxy, places.env);
  const warnings = [...trust.warnings];
  if (proxy.unreachable.length > 0) {
    warnings.push(
      `${proxy.unreachable.join(', ')}: a proxy on the host's loopback cannot be reached from a container (its 127.0.0.1 is its own); ` +
        'have the proxy listen on the isolane-lanes gateway address (`docker network inspect isolane-lanes`) and set the variable to it, or set container.proxy: off',
    );
  }
  return { env: { ...trust.env, ...proxy.env, ...configuredEnv(settings.env) }, mounts: [...trust.mounts, ...mounts], warnings };
}

/** container.env as a process sees it: `DEBUG: 1` and `DEBUG: "1"` alike. */
export function configuredEnv(env: ContainerSettings['env']): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}
