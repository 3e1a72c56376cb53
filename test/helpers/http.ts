/**
 * GET http://127.0.0.1:<port>/ once something listens there (a server another process starts:
 * wait for it, bounded). `why` adds what the starter said to the error when nothing answers.
 */
export async function answerOn(port: number, opts: { timeoutMs?: number; why?: () => string } = {}): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.text() };
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`nothing answered on 127.0.0.1:${port}: ${String(e)}${opts.why ? `; ${opts.why()}` : ''}`, { cause: e });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
