import { quietly } from '../fs/safe-read.js';
import { aheadFor } from '../git/ahead-plan.js';
import { invoke } from './invoke.js';

/**
 * The hot commands agents call many times per task (`path`, `env`, `ls`, `run <lane> -- ...`,
 * and `up`/`down` once each), run without loading commander (about 18 ms of start-up). Only the plainest forms are taken:
 * known flags, each at most once, and exactly the operands the command wants. Anything else (help,
 * a typo, a missing or extra operand) returns undefined and goes to commander, which parses and
 * reports it as always. What a form taken here passes to its command is what commander passes.
 */
export async function runFastPath(args: readonly string[]): Promise<number | undefined> {
  const [name, ...rest] = args;
  switch (name) {
    case 'path': {
      const parsed = plain(rest, ['--json'], 1);
      if (!parsed) return undefined;
      const [lane = ''] = parsed.operands;
      return invoke(async () => (await import('./commands/path.js')).pathCommand, parsed.json, [lane, parsed.opts]);
    }
    case 'env': {
      const parsed = plain(rest, ['--json', '--dotenv'], 1);
      if (!parsed) return undefined;
      const [lane = ''] = parsed.operands;
      return invoke(async () => (await import('./commands/env.js')).envCommand, parsed.json, [lane, parsed.opts]);
    }
    case 'ls':
    case 'list': {
      const parsed = plain(rest, ['--json', '--disk'], 0);
      if (!parsed) return undefined;
      // The lanes' statuses the last `ls` from here ran start now, while the command loads.
      const cwd = quietly(() => process.cwd());
      const gitAhead = cwd === undefined ? undefined : await aheadFor(process.env, cwd);
      try {
        return await invoke(async () => (await import('./commands/ls.js')).lsCommand, parsed.json, [parsed.opts], gitAhead ? { gitAhead } : {});
      } finally {
        await gitAhead?.finish().catch(() => undefined); // a plan not kept costs the next ls its head start, nothing more
      }
    }
    case 'up': {
      // `up <lane>` as agents call it; --from, --strategy and --workload take values: commander's.
      const parsed = plain(rest, ['--json'], 1);
      if (!parsed) return undefined;
      const [lane = ''] = parsed.operands;
      return invoke(async () => (await import('./commands/up.js')).upCommand, parsed.json, [lane, parsed.opts]);
    }
    case 'down': {
      const parsed = plain(rest, ['--json', '--force', '--keep-branch'], 1);
      if (!parsed) return undefined;
      const [lane = ''] = parsed.operands;
      return invoke(async () => (await import('./commands/down.js')).downCommand, parsed.json, [lane, parsed.opts]);
    }
    case 'run': {
      // `run <lane> -- <command...>`: the command's own words are never parsed.
      const [lane, dashes, ...command] = rest;
      if (lane === undefined || lane.startsWith('-') || dashes !== '--' || command.length === 0) return undefined;
      return invoke(async () => (await import('./commands/run.js')).runCommand, false, [lane, ['--', ...command]]);
    }
    default:
      return undefined;
  }
}

interface Plain {
  readonly operands: string[];
  /** As commander gives them: `--dotenv` as `dotenv: true`, `--keep-branch` as `keepBranch: true`, absent flags absent. */
  readonly opts: Record<string, boolean>;
  readonly json: boolean;
}

/** Boolean flags from `flags` (each at most once) and exactly `count` operands none of which looks like an option. */
function plain(words: readonly string[], flags: readonly string[], count: number): Plain | undefined {
  const operands: string[] = [];
  const opts: Record<string, boolean> = {};
  for (const word of words) {
    if (!word.startsWith('-')) operands.push(word);
    else if (flags.includes(word) && opts[camel(word)] === undefined) opts[camel(word)] = true;
    else return undefined;
  }
  if (operands.length !== count) return undefined;
  return { operands, opts, json: opts.json === true };
}

/** `--keep-branch` -> `keepBranch`, as commander names an option. */
const camel = (flag: string): string => flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
