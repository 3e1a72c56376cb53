import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecResult } from '../lane/contract.js';
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
  static override readonly errorClass: string = 'ContainerCommandError';
  constructor(argv: readonly string[], why: string) {
    super('DOCKER_FAILED', `\`${argv.slice(0, 3).join(' ')}\` in the container was stopped: it ${why}`, {
      hint: 'something in the lane makes the command hang or flood (a FIFO, a huge file?); inspect the lane, or remove it with `isolane down <lane> --force`',
    });
  }
}

/** Commands whose absence means the image has no Node.js (`isolane image build --node` gives one). */
const NODE_COMMANDS = new Set(['node', 'npm', 'npx', 'corepack', 'yarn', 'pnpm']);

/** The command does not exist in the container: its image lacks it. `isolane run` exits 127. */
export class CommandNotFoundError extends IsolaneError {
  static override readonly errorClass: string = 'CommandNotFoundError';
  constructor(readonly command: string, image?: string) {
    const name = command.split('/').pop() ?? command;
    const where = image ? `the image ${image}` : "the container's image";
    super('COMMAND_NOT_FOUND', `${command}: command not found in ${where}`, {
      hint: NODE_COMMANDS.has(name)
        ? `the default image has no Node.js: \`isolane image build --node\` builds isolane/base:bookworm-node (Debian's Node.js and npm); set container.image to it in isolane.yaml (lanes made after that get it), or name an image of your own that has ${name}`
        : `use an image that has it (container.image in isolane.yaml; lanes made after that get it), or install it in the lane`,
      data: { command, ...(image ? { image } : {}) },
    });
  }
}

/** The runtime's own complaint when it cannot start a command, which Docker sends as the command's output. */
const RUNTIME_FAILURE = Buffer.from('OCI runtime exec failed');

/**
 * Passes output on, except when its first bytes are the runtime's complaint that it could not
 * start the command: that is kept aside, so a missing command gets isolane's message instead.
 */
function runtimeGate(deliver: NodeJS.WritableStream): { sink: NodeJS.WritableStream; complaint: () => string; flush: () => void } {
  let head: Buffer | undefined = Buffer.alloc(0);
  let complaint: string | undefined;
  const sink = {
    write(chunk: Buffer): boolean {
      if (complaint !== undefined) complaint += chunk.toString('utf8');
      else if (head === undefined) deliver.write(chunk);
      else {
        head = Buffer.concat([head, chunk]);
        if (head.length < RUNTIME_FAILURE.length && RUNTIME_FAILURE.subarray(0, head.length).equals(head)) return true;
        if (head.subarray(0, RUNTIME_FAILURE.length).equals(RUNTIME_FAILURE)) complaint = head.toString('utf8');
        else deliver.write(head);
        head = undefined;
      }
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const flush = (): void => {
    if (head?.length) deliver.write(head);
    head = undefined;
  };
  return { sink, complaint: () => complaint ?? '', flush };
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
  // Listen before starting: a signal that comes while the command starts is passed on once it
  // runs, never left to kill isolane with the command running on.
  let exec: Docker.Exec | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (signal: NodeJS.Signals): void => {
    if (!exec) {
      pending.push(signal);
      return;
    }
    void exec.inspect().then((info) => {
      if (info.Pid) process.kill(info.Pid, signal);
    }, () => undefined);
  };
  const handlers = opts.stdio === 'inherit' ? FORWARDED_SIGNALS.map((s) => [s, () => forward(s)] as const) : [];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const unlisten = (): void => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  let stream: NodeJS.ReadWriteStream & { destroy?: () => void };
  try {
    const made = await container.exec({
      Cmd: [...argv],
      AttachStdin: attachStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      WorkingDir: opts.workdir,
      Env: envList(opts.env),
      ...(opts.user ? { User: opts.user } : {}),
    });
    stream = (await made.start({ hijack: true, stdin: attachStdin })) as NodeJS.ReadWriteStream & { destroy?: () => void };
    exec = made;
  } catch (e) {
    unlisten();
    throw e;
  }
  for (const signal of pending.splice(0)) forward(signal);
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
  const gates = [runtimeGate(out), runtimeGate(err)] as const;
  demux(container, stream, gates[0].sink, gates[1].sink);
  const onAbort = (): void => forward('SIGTERM');
  opts.signal?.addEventListener('abort', onAbort);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    for (const gate of gates) gate.flush();
    // Every byte written is delivered before the result is read.
    const drained = Promise.all([out, err].map((s) => new Promise((resolve) => s.once('end', resolve))));
    out.end();
    err.end();
    await drained;
    if (stopped) throw new ContainerCommandError(argv, stopped);
    const info = await exec.inspect();
    const complaint = gates.map((g) => g.complaint()).join('');
    if (complaint && /executable file not found|no such file or directory/i.test(complaint)) throw new CommandNotFoundError(argv[0] ?? '');
    if (complaint) {
      if (opts.stdio === 'inherit') process.stderr.write(complaint);
      else chunks.err.push(Buffer.from(complaint));
    }
    return {
      exitCode: info.ExitCode ?? 1,
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
    unlisten();
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
