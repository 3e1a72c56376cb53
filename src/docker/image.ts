import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';
import { DEFAULT_IMAGE } from './settings.js';
import type { Context } from '../context.js';
import { IsolaneError } from '../errors.js';
import { dockerClient, dockerError } from './client.js';

export interface BuildImageOptions {
  /** Image reference to create; default isolane/base:bookworm (isolane/base:bookworm-node with node). */
  readonly tag?: string;
  /** Add Debian's Node.js and npm. */
  readonly node?: boolean;
  /** Debian mirror for debootstrap. */
  readonly mirror?: string;
}

export interface BuiltImage {
  readonly tag: string;
  readonly id: string;
  readonly packages: readonly string[];
}

/**
 * Builds a base image without any registry: debootstrap a minimal Debian (git, a shell,
 * certificates; Node.js on request) into a temp dir, then import the tarred rootfs through the
 * engine. Needs root (debootstrap) and the debootstrap package.
 */
export async function buildBaseImage(ctx: Context, opts: BuildImageOptions = {}): Promise<BuiltImage> {
  const tag = opts.tag ?? (opts.node ? `${DEFAULT_IMAGE}-node` : DEFAULT_IMAGE);
  const [repo, version] = splitTag(tag);
  const packages = ['git', 'ca-certificates', ...(opts.node ? ['nodejs', 'npm'] : [])];
  // npm's dozens of node-* dependencies fail to configure in debootstrap's second stage, so the
  // base goes in by debootstrap and Node.js by apt inside the finished root.
  const bootstrapped = packages.filter((p) => p !== 'nodejs' && p !== 'npm');
  const added = packages.filter((p) => !bootstrapped.includes(p));
  const which = await execa('debootstrap', ['--version'], { reject: false, env: { PATH: ctx.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
  if (which.failed) {
    throw new IsolaneError('USAGE', 'debootstrap is not installed, so the base image cannot be built here', {
      hint: 'install it (apt-get install debootstrap), or point container.image in isolane.yaml at an image you have',
    });
  }
  const { docker } = dockerClient(ctx);
  const rootfs = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-rootfs-'));
  try {
    ctx.logger.progress(`debootstrap bookworm (${bootstrapped.join(', ')}) into ${rootfs}`);
    const boot = execa('debootstrap', ['--variant=minbase', `--include=${bootstrapped.join(',')}`, 'bookworm', rootfs, ...(opts.mirror ? [opts.mirror] : [])], {
      reject: false,
      all: true,
      timeout: 30 * 60_000,
      ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
    });
    boot.all?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.startsWith('I: ')) ctx.logger.progress(`  ${line.slice(3)}`);
    });
    const result = await boot;
    if (result.exitCode !== 0) {
      const tail = String(result.all ?? '').trim().split('\n').slice(-5).join('\n');
      throw new IsolaneError('INTERNAL', `debootstrap failed (exit ${String(result.exitCode)}):\n${tail}`, {
        hint: 'it needs root and access to a Debian mirror; see the debootstrap log above',
      });
    }
    if (added.length > 0) await aptInstall(ctx, rootfs, added);
    ctx.logger.progress(`importing the rootfs as ${tag}`);
    const tar = execa('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { buffer: false, timeout: 30 * 60_000 });
    try {
      const stream = await docker.importImage(tar.stdout, { repo, tag: version, changes: ['LABEL isolane.image=base', 'CMD ["/bin/bash"]'] });
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      });
    } catch (e) {
      throw dockerError(`could not import the image ${tag}`, e);
    }
    await tar;
    const info = await docker.getImage(tag).inspect();
    return { tag, id: info.Id, packages };
  } finally {
    await fsp.rm(rootfs, { recursive: true, force: true });
  }
}

/** `apt-get install` inside the new root, with the host's resolver, then apt's caches dropped. */
async function aptInstall(ctx: Context, rootfs: string, packages: readonly string[]): Promise<void> {
  ctx.logger.progress(`apt-get install ${packages.join(' ')} in the new root`);
  await fsp.copyFile('/etc/resolv.conf', path.join(rootfs, 'etc', 'resolv.conf')).catch(() => undefined);
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
  for (const argv of [
    ['apt-get', 'update', '-q'],
    ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages],
    ['apt-get', 'clean'],
  ]) {
    const r = await execa('chroot', [rootfs, ...argv], { env, extendEnv: false, reject: false, all: true, timeout: 30 * 60_000, ...(ctx.signal ? { cancelSignal: ctx.signal } : {}) });
    if (r.exitCode !== 0) {
      const tail = String(r.all ?? '').trim().split('\n').slice(-5).join('\n');
      throw new IsolaneError('INTERNAL', `${argv.join(' ')} failed in the new root (exit ${String(r.exitCode)}):\n${tail}`, { hint: 'it needs root and access to a Debian mirror' });
    }
  }
  await fsp.rm(path.join(rootfs, 'var', 'lib', 'apt', 'lists'), { recursive: true, force: true });
  await fsp.mkdir(path.join(rootfs, 'var', 'lib', 'apt', 'lists', 'partial'), { recursive: true });
}

/** Whether the engine has the image `ref` (any other engine error is thrown). */
export async function imagePresent(docker: Docker, ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      (e: { statusCode?: number }) => {
        if (e.statusCode === 404) return false;
        throw e;
      },
    );
}

function splitTag(tag: string): [string, string] {
  const at = tag.lastIndexOf(':');
  return at > tag.lastIndexOf('/') ? [tag.slice(0, at), tag.slice(at + 1)] : [tag, 'latest'];
}
