import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Context } from '../context.js';
import { IsolaneError } from '../errors.js';
import { runGit } from '../git/run-git.js';

export interface ContainerFetch {
  /** The main repository, which fetches. */
  readonly mainRoot: string;
  /** The lane repository's git directory inside the container. */
  readonly gitDir: string;
  readonly refspecs: readonly string[];
  readonly timeoutMs: number;
}

/**
 * Fetches from a repository inside a container through git's own protocol: the host's `git
 * fetch` talks to a one-shot git:// endpoint on 127.0.0.1 that isolane bridges to `git
 * upload-pack` run inside the container (Docker exec). The lane's files are only ever read by
 * git inside the container, so a symlink or FIFO it planted never acts on the host; what comes
 * back is checked by fsck on arrival. The endpoint serves one connection, and only to a client
 * that names its random path.
 */
export async function fetchFromContainer(ctx: Context, container: Docker.Container, f: ContainerFetch): Promise<void> {
  const token = randomBytes(16).toString('hex');
  const failures: unknown[] = [];
  let served = false;
  const server = net.createServer((socket) => {
    if (served) return void socket.destroy();
    served = true;
    serve(container, socket, token, f).catch((e: unknown) => {
      failures.push(e);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  try {
    await runGit(
      ctx,
      f.mainRoot,
      ['-c', 'fetch.fsckObjects=true', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--end-of-options', `git://127.0.0.1:${port}/${token}`, ...f.refspecs],
      { timeoutMs: f.timeoutMs },
    );
  } catch (e) {
    throw failures.length > 0 ? new IsolaneError('DOCKER_FAILED', `could not bring commits out of container ${container.id.slice(0, 12)}: ${String(failures[0])}`, { cause: e }) : e;
  } finally {
    server.close();
  }
}

/** Reads the git:// request (one pkt-line), then joins the socket to upload-pack in the container. */
async function serve(container: Docker.Container, socket: net.Socket, token: string, f: ContainerFetch): Promise<void> {
  const { request, rest } = await readRequest(socket);
  // "git-upload-pack /<token>\0host=...\0" and, for protocol v2, "\0version=2\0".
  const [command, hostPart, ...extra] = request.split('\0');
  if (command !== `git-upload-pack /${token}` || !hostPart?.startsWith('host=')) throw new Error('unexpected git:// request');
  const version = extra.find((p) => /^version=\d$/.test(p));
  const exec = await container.exec({
    Cmd: ['git', '-c', 'uploadpack.allowAnySHA1InWant=true', 'upload-pack', '--strict', f.gitDir],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Env: version ? [`GIT_PROTOCOL=${version}`] : [],
  });
  const stream = (await exec.start({ hijack: true, stdin: true })) as NodeJS.ReadWriteStream & { destroy(): void };
  const timer = setTimeout(() => {
    void exec.inspect().then((info) => info.Pid && process.kill(info.Pid, 'SIGKILL'), () => undefined);
    stream.destroy();
  }, f.timeoutMs);
  try {
    if (rest.length > 0) stream.write(rest);
    socket.pipe(stream);
    const out = new PassThrough();
    const err = new PassThrough();
    err.resume();
    out.pipe(socket);
    (container.modem as { demuxStream(s: NodeJS.ReadableStream, o: NodeJS.WritableStream, e: NodeJS.WritableStream): void }).demuxStream(stream, out, err);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    out.end();
  } finally {
    clearTimeout(timer);
  }
}

async function readRequest(socket: net.Socket): Promise<{ request: string; rest: Buffer }> {
  let buffered = Buffer.alloc(0);
  for await (const chunk of socket.iterator({ destroyOnReturn: false })) {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    if (buffered.length < 4) continue;
    const length = Number.parseInt(buffered.subarray(0, 4).toString('latin1'), 16);
    if (!Number.isInteger(length) || length < 4 || length > 65520) break;
    if (buffered.length < length) continue;
    const request = buffered.subarray(4, length).toString('utf8').replace(/\n$/, '');
    return { request, rest: buffered.subarray(length) };
  }
  throw new Error('no git:// request arrived');
}
