import type { HostLimits, Need } from './strategy.js';

/**
 * Lanes on the host get resource-limits from cgroups (src/limits), which the engine puts their
 * commands in: given only where cgroups work and isolane.yaml sets caps, else why not.
 */
export function cgroupsWithhold(need: Need, host: HostLimits): string | undefined {
  if (need !== 'resource-limits') return undefined;
  if (!host.cgroups.available) return `cannot cap host lanes here: cgroups unusable (${host.cgroups.reason ?? 'the cgroup probe failed'})`;
  if (!host.configured) return 'isolane.yaml sets no limits or budget, so host lanes run uncapped (set limits: { memory, cpus, pids })';
  return undefined;
}
