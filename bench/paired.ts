import { Bench } from 'tinybench';
import { cpuSince, cpuSoFar, totalMs, type Cpu } from './cpu.js';
import { withCleanupError } from './failure.js';
import { quantile, summarize, type Summary } from './stats.js';

export interface Side {
  readonly name: string;
  /** One measured operation; `round` lets it pick fresh names. */
  readonly fn: (round: number) => Promise<void>;
  /** Untimed set-up before each measured call (e.g. make the lane that `fn` removes). */
  readonly before?: (round: number) => Promise<void>;
  /** Untimed clean-up after each measured call. */
  readonly after?: (round: number) => Promise<void>;
}

/** CPU of one side's measured calls (its child processes' and this process's own), mean per call, ms. */
export interface CpuSummary {
  readonly userMs: number;
  readonly sysMs: number;
  readonly totalMs: number;
}

export interface PairedCpu {
  readonly a: CpuSummary;
  readonly b: CpuSummary;
  /** Median and p95 of the per-round ratio of a's CPU to b's. */
  readonly ratio: { readonly p50: number; readonly p95: number };
}

export interface PairedResult {
  readonly a: { readonly name: string } & Summary;
  readonly b: { readonly name: string } & Summary;
  /** Median and p95 of the per-round ratio a/b: robust to the machine drifting during the run. */
  readonly ratio: { readonly p50: number; readonly p95: number };
  /** With `cpu: true`, where the host can say (Linux). */
  readonly cpu?: PairedCpu;
}

/** `fn`, noting the CPU each measured call used by round (set-up and clean-up hooks stay out). */
function withCpu(fn: Side['fn'], byRound: Map<number, Cpu>): Side['fn'] {
  return async (round) => {
    const before = cpuSoFar();
    await fn(round);
    const after = cpuSoFar();
    if (before && after) byRound.set(round, cpuSince(before, after));
  };
}

function cpuSummary(samples: readonly Cpu[]): CpuSummary {
  const mean = (pick: (c: Cpu) => number): number => samples.reduce((s, c) => s + pick(c), 0) / samples.length;
  return { userMs: mean((c) => c.userMs), sysMs: mean((c) => c.sysMs), totalMs: mean(totalMs) };
}

/** Per side, the CPU of every measured round; undefined when some round has no reading. */
function pairedCpu(a: Map<number, Cpu>, b: Map<number, Cpu>, rounds: readonly number[]): PairedCpu | undefined {
  const as = rounds.map((r) => a.get(r));
  const bs = rounds.map((r) => b.get(r));
  if (rounds.length === 0 || as.some((c) => !c) || bs.some((c) => !c)) return undefined;
  const ratios = rounds.map((_, i) => totalMs(as[i] as Cpu) / totalMs(bs[i] as Cpu));
  return { a: cpuSummary(as as Cpu[]), b: cpuSummary(bs as Cpu[]), ratio: { p50: quantile(ratios, 0.5), p95: quantile(ratios, 0.95) } };
}

/**
 * Measures A and B interleaved, one of each per round (A B, then B A, ...), timing every call
 * with tinybench. Figures taken minutes apart on a VM can differ 10x; pairs taken a second
 * apart share the machine's state, so their ratio is what we report.
 */
export async function paired(a: Side, b: Side, opts: { rounds: number; warmup?: number; onRound?: (i: number) => void; cpu?: boolean }): Promise<PairedResult> {
  const samplesA: number[] = [];
  const samplesB: number[] = [];
  const warmup = opts.warmup ?? 1;
  const cpuA = new Map<number, Cpu>();
  const cpuB = new Map<number, Cpu>();
  const fnOf = (side: Side): Side['fn'] => (opts.cpu ? withCpu(side.fn, side === a ? cpuA : cpuB) : side.fn);
  for (let round = 0; round < warmup + opts.rounds; round++) {
    const bench = new Bench({ iterations: 1, time: 0, warmup: false, throws: true });
    const order = round % 2 === 0 ? [a, b] : [b, a];
    // async: true stops tinybench from calling fn once more to find out whether it is async.
    for (const side of order) {
      // tinybench runs afterEach in a `finally` and reports its error in place of the one that
      // caused it: remember the step's error and throw that, with the clean-up's attached.
      let failed: { error: unknown } | undefined;
      const noting = (step: (r: number) => Promise<void>) => async (): Promise<void> => {
        try {
          await step(round);
        } catch (e) {
          failed = { error: e };
          throw e;
        }
      };
      const after = side.after;
      bench.add(side.name, noting(fnOf(side)), {
        async: true,
        ...(side.before ? { beforeEach: noting(side.before) } : {}),
        ...(after
          ? {
              afterEach: async () => {
                try {
                  await after(round);
                } catch (e) {
                  throw failed ? withCleanupError(failed.error, e) : e;
                }
              },
            }
          : {}),
      });
    }
    await bench.run();
    if (round < warmup) continue;
    for (const task of bench.tasks) {
      const result = task.result;
      const latency = 'latency' in result ? result.latency.mean : undefined;
      if (latency === undefined) throw new Error(`no sample for ${task.name}`);
      (task.name === a.name ? samplesA : samplesB).push(latency);
    }
    opts.onRound?.(round - warmup + 1);
  }
  const ratios = samplesA.map((x, i) => x / (samplesB[i] ?? Number.NaN));
  const cpu = opts.cpu ? pairedCpu(cpuA, cpuB, Array.from({ length: opts.rounds }, (_, i) => warmup + i)) : undefined;
  return {
    a: { name: a.name, ...summarize(samplesA) },
    b: { name: b.name, ...summarize(samplesB) },
    ratio: { p50: quantile(ratios, 0.5), p95: quantile(ratios, 0.95) },
    ...(cpu ? { cpu } : {}),
  };
}
