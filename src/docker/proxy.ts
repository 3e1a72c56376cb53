/** The proxy variables a container lane takes from the host, in both spellings tools read. */
export const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'] as const;

export interface ProxyEnv {
  readonly env: Readonly<Record<string, string>>;
  /** Proxies on the host's loopback: a container has a loopback of its own, so they cannot answer it. */
  readonly unreachable: readonly string[];
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0)$/i;

function proxyHost(value: string): string | undefined {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname;
  } catch {
    return undefined; // not a URL: passed on as it is, for the tool to judge
  }
}

/**
 * container.proxy `host`: the host's proxy variables, passed as they are. A proxy on the host's
 * loopback is named in `unreachable`: rewriting it to the gateway would not help, since such a
 * proxy listens on 127.0.0.1 only.
 */
export function proxyEnv(setting: 'host' | 'off', env: Readonly<Record<string, string | undefined>>): ProxyEnv {
  if (setting === 'off') return { env: {}, unreachable: [] };
  const out: Record<string, string> = {};
  const unreachable: string[] = [];
  for (const name of PROXY_VARS) {
    const value = env[name];
    if (!value) continue;
    out[name] = value;
    if (!name.toLowerCase().startsWith('no_')) {
      const host = proxyHost(value);
      if (host !== undefined && LOOPBACK.test(host)) unreachable.push(`${name}=${value}`);
    }
  }
  return { env: out, unreachable };
}
