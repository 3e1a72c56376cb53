import type Docker from 'dockerode';

/** A container port and where the host publishes it. */
export interface PublishedPort {
  readonly container: number;
  readonly host: number;
  readonly hostIp: string;
  readonly protocol: string;
}

/** The ports a running container publishes, as the engine assigned them (empty while stopped). */
export function publishedPorts(info: Docker.ContainerInspectInfo): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [spec, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
    const [port = '', protocol = 'tcp'] = spec.split('/');
    for (const b of bindings ?? []) {
      const host = Number(b.HostPort);
      if (Number.isInteger(host) && host > 0) out.push({ container: Number(port), host, hostIp: b.HostIp, protocol });
    }
  }
  return out.sort((a, b) => a.container - b.container || a.host - b.host);
}
