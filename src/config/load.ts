import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IsolaneError } from '../errors.js';
import { configCacheSlot, readCachedConfig, writeCachedConfig } from './cache.js';
import { defaultConfig, defaultsOnly, whereIn, type Where } from './defaults.js';
import type { ConfigProblem } from './parse.js';
import type { IsolaneConfig } from './schema.js';

export type { ConfigProblem };

export const CONFIG_FILE = 'isolane.yaml';

export interface LoadedConfig {
  readonly config: IsolaneConfig;
  /** Absent when the repository has no isolane.yaml and defaults apply. */
  readonly file: string | undefined;
  /**
   * Where a setting comes from, for errors found after loading (a lanes root that is a file):
   * `isolane.yaml:4:3 lanes.root`, or `lanes.root (default)` when the file does not set it.
   */
  readonly where: Where;
}

/**
 * Reads `<root>/isolane.yaml`; a missing file means all defaults (and no parser or schema
 * loaded). Given the environment, a config validated before from the same text by the same
 * isolane is taken from the user's cache (src/config/cache.ts), again without parser or schema.
 */
export async function loadConfig(root: string, env?: Readonly<Record<string, string | undefined>>): Promise<LoadedConfig> {
  const file = path.join(root, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8'); // synchronous: one small file on every command's way (see src/fs/safe-read.ts)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { config: defaultConfig(), file: undefined, where: defaultsOnly };
    throw new IsolaneError('CONFIG', `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  const slot = env ? configCacheSlot(env, file, text) : undefined;
  const cached = slot ? await readCachedConfig(slot) : undefined;
  if (cached) return { config: cached.config, file, where: whereIn(file, cached.positions) };
  const { formatProblem, parseConfigText } = await import('./parse.js');
  const result = parseConfigText(text, file);
  if (result.problems.length > 0 || !result.config || !result.where) {
    const [first] = result.problems;
    throw new IsolaneError('CONFIG', result.problems.map(formatProblem).join('\n'), {
      hint: `fix ${file}${first ? ` (first problem at line ${first.line})` : ''}; \`isolane schema\` prints every key`,
      data: { problems: result.problems },
    });
  }
  if (slot && result.positions) await writeCachedConfig(slot, { config: result.config, positions: result.positions });
  return { config: result.config, file, where: result.where };
}
