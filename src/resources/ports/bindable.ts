import net from 'node:net';

/**
 * Whether a port is free here right now: really binds it on 127.0.0.1 (where lanes and published
 * container ports listen) and on 0.0.0.0 (where many dev servers listen), then closes. A port
 * another process listens on, on either, fails to bind.
 */
export async function bindable(port: number): Promise<boolean> {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    if (!(await bindOnce(port, host))) return false;
  }
  return true;
}

function bindOnce(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether something accepts connections on 127.0.0.1:port now (for `isolane ports`). */
export function listening(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
