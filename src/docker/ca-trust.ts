import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { IsolaneError } from '../errors.js';
import { CA_DIR } from './mount-target.js';
import { checkSource, type BindMount, type HostPlaces } from './mounts.js';

export const CA_BUNDLE_TARGET = `${CA_DIR}/bundle.crt`;
export const NODE_EXTRA_TARGET = `${CA_DIR}/node-extra.crt`;
/** Variables that name a whole bundle, replacing the image's own list (OpenSSL, git, curl, Python). */
export const BUNDLE_VARS = ['SSL_CERT_FILE', 'GIT_SSL_CAINFO', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE'] as const;
/** Where distributions keep the system bundle (Debian and Ubuntu, Fedora and RHEL, Alpine and macOS). */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
const MAX_BUNDLE_BYTES = 16 * 2 ** 20;
const PEM = '-----BEGIN CERTIFICATE-----';

/** What a container gets so that it trusts what the host trusts. */
export interface CaTrust {
  readonly mounts: readonly BindMount[];
  readonly env: Readonly<Record<string, string>>;
  /** What could not be passed on, in words. */
  readonly warnings: readonly string[];
}

const none: CaTrust = { mounts: [], env: {}, warnings: [] };

/** A readable PEM bundle at `raw`, checked like any mount source; its real path. */
async function bundleAt(raw: string, base: string, places: HostPlaces, where: string): Promise<string> {
  const { path: real, stat } = await checkSource(path.resolve(base, raw), places, where);
  const problem = !stat.isFile() ? 'is not a file' : stat.size > MAX_BUNDLE_BYTES ? `is larger than ${MAX_BUNDLE_BYTES} bytes` : undefined;
  const text = problem ? '' : await fsp.readFile(real, 'utf8').catch((e: unknown) => `\0${String(e)}`);
  if (problem || !text.includes(PEM)) {
    throw new IsolaneError('CONFIG', `${where}: ${real} ${problem ?? (text.startsWith('\0') ? `cannot be read: ${text.slice(1)}` : 'holds no PEM certificate')}`, {
      hint: 'name a PEM bundle (the public roots and your own CA, as /etc/ssl/certs/ca-certificates.crt is), or `off`',
    });
  }
  return real;
}

/**
 * container.caBundle: `off`; a path (relative to the repository root) to a PEM bundle; or `auto`,
 * the host's own trust: the file named by SSL_CERT_FILE, else the system bundle, and the file
 * named by NODE_EXTRA_CA_CERTS when it is another. The bundle is mounted read-only and named by
 * every variable of BUNDLE_VARS and by NODE_EXTRA_CA_CERTS, so curl, git, OpenSSL, Python and
 * Node in the container trust what the host trusts (a TLS-inspecting proxy's CA, for one).
 */
export async function resolveCaTrust(setting: string, places: HostPlaces, where: (keys: readonly string[]) => string): Promise<CaTrust> {
  if (setting === 'off') return none;
  const mount = (source: string, target: string): BindMount => ({ source, target, readOnly: true });
  const withBundle = (bundle: string | undefined, nodeExtra: string | undefined, warnings: string[]): CaTrust => {
    const mounts: BindMount[] = [];
    const env: Record<string, string> = {};
    if (bundle) {
      mounts.push(mount(bundle, CA_BUNDLE_TARGET));
      for (const name of BUNDLE_VARS) env[name] = CA_BUNDLE_TARGET;
      env.NODE_EXTRA_CA_CERTS = CA_BUNDLE_TARGET;
    }
    if (nodeExtra && nodeExtra !== bundle) {
      mounts.push(mount(nodeExtra, NODE_EXTRA_TARGET));
      env.NODE_EXTRA_CA_CERTS = NODE_EXTRA_TARGET;
    }
    return { mounts, env, warnings };
  };
  if (setting !== 'auto') return withBundle(await bundleAt(setting, places.repoRoot, places, where(['container', 'caBundle'])), undefined, []);

  const warnings: string[] = [];
  const fromEnv = async (name: 'SSL_CERT_FILE' | 'NODE_EXTRA_CA_CERTS'): Promise<string | undefined> => {
    const value = places.env[name];
    if (!value) return undefined;
    try {
      return await bundleAt(value, places.cwd, places, `${name}=${value}`);
    } catch (e) {
      warnings.push(`not passed to container lanes: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  let bundle = await fromEnv('SSL_CERT_FILE');
  for (const candidate of SYSTEM_BUNDLES) {
    if (bundle) break;
    bundle = await bundleAt(candidate, '/', places, candidate).catch(() => undefined);
  }
  return withBundle(bundle, await fromEnv('NODE_EXTRA_CA_CERTS'), warnings);
}
