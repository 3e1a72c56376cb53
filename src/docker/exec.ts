import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecResult } from '../../strategies/strategy.js';
import { IsolaneError } from '../errors.js';

export interface ContainerExecOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly stdio: 'inherit' | 'pipe';
  readonly interactive?: boolean;
  readonly workdir: string;
  readonly user?: string;
  readonly signal?: AbortSignal;
  /** Written to the command's stdin, which then ends (with stdio: 'pipe'). */
  readonly input?: string;
  /** The command is killed after this long (isolane's own commands in a lane always set one). */
  readonly timeoutMs?: number;
  /** Captured output beyond this is refused and the command killed (with stdio: 'pipe'). */
  readonly maxOutputBytes?: number;
  /** Called once the command has started. */
  readonly onStarted?: () => void;
}

/** isolane's own commands in a container (git status, for-each-ref ...) stop after this. */
export const CONTAINER_COMMAND_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 256 * 2 ** 20;

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A command in a container was stopped by isolane: it ran too long or printed too much. */
export class ContainerCommandError extends IsolaneError {
  constructor(argv: readonly string[], why: string) {
    super('DOCKER_FAILED', `\`${argv.slice(0, 3).join(' ')}\` in the container was stopped: it ${why}`, {
      hint: 'something in the lane makes the command hang or flood (a FIFO, a huge file?); inspect the lane, or remove it with `isolane down <lane> --force`',
    });
  }
}

/** Docker's form of an environment: `KEY=value` strings. */
export function envList(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** Splits Docker's multiplexed exec stream into stdout and stderr (docker-modem does the framing). */
function demux(container: Docker.Container, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream, err: NodeJS.WritableStream): void {
  const modem = container.modem as { demuxStream(s: NodeJS.ReadableStream, o: NodeJS.WritableStream, e: NodeJS.WritableStream): void };
  modem.demuxStream(stream, out, err);
}

/**
 * Runs argv in a running container (Docker exec), streaming or capturing its output, and
 * returns its exit status. Signals isolane receives go to the exec'd process: the engine runs on
 * this host, so its host pid (from the exec's inspection) can be signalled directly.
 */
export async function execInContainer(container: Docker.Container, argv: readonly string[], opts: ContainerExecOptions): Promise<ExecResult> {
  if (opts.interactive) return interactive(container, argv, opts);
  // Piped input (`echo x | isolane run lane -- cat`) reaches the command; a terminal does not
  // (that is `isolane shell`), so a command never waits on a keyboard nobody watches.
  const feedStdin = opts.stdio === 'inherit' && !process.stdin.isTTY;
  const attachStdin = feedStdin || opts.input !== undefined;
  const exec = await container.exec({
    Cmd: [...argv],
    AttachStdin: attachStdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    WorkingDir: opts.workdir,
    Env: envList(opts.env),
    ...(opts.user ? { User: opts.user } : {}),
  });
  const stream = (await exec.start({ hijack: true, stdin: attachStdin })) as NodeJS.ReadWriteStream & { destroy?: () => void };
  opts.onStarted?.();
  if (feedStdin) process.stdin.pipe(stream);
  else if (opts.input !== undefined) stream.end(opts.input);
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  // A command that outlives its time or floods its output is killed on the host (the engine is
  // local, so the exec's host pid is a real process here); the stream then ends.
  let stopped: string | undefined;
  const kill = (why: string): void => {
    if (stopped) return;
    stopped = why;
    void exec.inspect().then((info) => {
      if (info.Pid) process.kill(info.Pid, 'SIGKILL');
    }, () => undefined);
    setTimeout(() => stream.destroy?.(), 5_000).unref();
  };
  const timer = opts.timeoutMs ? setTimeout(() => kill(`timed out after ${opts.timeoutMs} ms`), opts.timeoutMs) : undefined;
  let captured = 0;
  const maxOutput = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  // The runtime's own complaint (command not found) arrives in the stream: keep a short tail.
  let tail = '';
  const keepTail = (c: Buffer): void => {
    tail = (tail + c.toString('utf8')).slice(-2048);
  };
  out.on('data', keepTail);
  err.on('data', keepTail);
  if (opts.stdio === 'inherit') {
    out.pipe(process.stdout, { end: false });
    err.pipe(process.stderr, { end: false });
  } else {
    const capture = (into: Buffer[]) => (c: Buffer): void => {
      captured += c.length;
      if (captured > maxOutput) kill(`printed more than ${maxOutput} bytes`);
      else into.push(c);
    };
    out.on('data', capture(chunks.out));
    err.on('data', capture(chunks.err));
  }
  demux(container, stream, out, err);
  const forward = (signal: NodeJS.Signals): void => {
    void exec.inspect().then((info) => {
      if (info.Pid) process.kill(info.Pid, signal);
    });
  };
  const handlers = opts.stdio === 'inherit' ? FORWARDED_SIGNALS.map((s) => [s, () => forward(s)] as const) : [];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const onAbort = (): void => forward('SIGTERM');
  opts.signal?.addEventListener('abort', onAbort);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    if (stopped) throw new ContainerCommandError(argv, stopped);
    const info = await exec.inspect();
    // The runtime reports a missing command as 126; the shell convention (and isolane run) is 127.
    const notFound = info.ExitCode === 126 && /executable file not found|no such file or directory/i.test(tail);
    return {
      exitCode: notFound ? 127 : (info.ExitCode ?? 1),
      signal: undefined,
      stdout: Buffer.concat(chunks.out).toString('utf8'),
      stderr: Buffer.concat(chunks.err).toString('utf8'),
    };
  } finally {
    clearTimeout(timer);
    if (feedStdin) {
      process.stdin.unpipe(stream);
      process.stdin.pause();
    }
    for (const [signal, handler] of handlers) process.off(signal, handler);
    opts.signal?.removeEventListener('abort', onAbort);
    out.unpipe();
    err.unpipe();
  }
}

/** A terminal session in the container: raw stdin in, the terminal's bytes out, resized with ours. */
async function interactive(container: Docker.Container, argv: readonly string[], opts: ContainerExecOptions): Promise<ExecResult> {
  const tty = process.stdin.isTTY && process.stdout.isTTY;
  const exec = await container.exec({
    Cmd: [...argv],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: tty,
    WorkingDir: opts.workdir,
    Env: envList({ TERM: process.env.TERM ?? 'xterm', ...opts.env }),
  });
  const stream = await exec.start({ hijack: true, stdin: true, Tty: tty });
  const resize = (): void => {
    void exec.resize({ h: process.stdout.rows, w: process.stdout.columns }).catch(() => undefined);
  };
  if (tty) {
    process.stdin.setRawMode(true);
    stream.pipe(process.stdout, { end: false });
    resize();
    process.stdout.on('resize', resize);
  } else {
    demux(container, stream, process.stdout, process.stderr);
  }
  process.stdin.pipe(stream);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
  } finally {
    process.stdin.unpipe(stream);
    process.stdin.pause();
    if (tty) {
      process.stdin.setRawMode(false);
      process.stdout.off('resize', resize);
    }
  }
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? 1, signal: undefined, stdout: '', stderr: '' };
}
