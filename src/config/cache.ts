import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readCacheFile, userCacheDir, writeCacheFile } from '../fs/user-cache.js';
import type { KeyPositions } from './defaults.js';
import type { IsolaneConfig } from './schema.js';
import { sha256Hex } from '../hash.js';

/**
 * isolane.yaml as validated, kept between commands: parsing it loads the YAML parser and the
 * schema, about 35 ms of every command in a project that has one. One entry per isolane.yaml
 * (in the user's cache, src/fs/user-cache.ts), valid for exactly the text it was made from and
 * the build of isolane that made it (a hash of the sources it was bundled from): any edit of the
 * file, and any other isolane, parses again. Only a valid config is kept; problems are always
 * found by parsing.
 */
export interface ConfigCacheSlot {
  readonly file: string;
  /** What the entry must have been made from: compared whole (no hash of it: on a hit, a hash costs more than the compare). */
  readonly key: { readonly build: string; readonly source: string; readonly text: string };
}

export interface CachedConfig {
  readonly config: IsolaneConfig;
  readonly positions: KeyPositions;
}

const MAX_ENTRY_BYTES = 1 << 20;

/** Where the entry for this text of `configFile` is kept; undefined where no cache can be (no cache directory, or isolane unbundled). */
export function configCacheSlot(env: Readonly<Record<string, string | undefined>>, configFile: string, text: string): ConfigCacheSlot | undefined {
  const dir = userCacheDir(env);
  const code = codeIdentity();
  if (dir === undefined || code === undefined) return undefined;
  return { file: path.join(dir, 'config', `${sha256Hex(configFile)}.json`), key: { build: code, source: configFile, text } };
}

export async function readCachedConfig(slot: ConfigCacheSlot): Promise<CachedConfig | undefined> {
  const text = await readCacheFile(slot.file, MAX_ENTRY_BYTES);
  if (text === undefined) return undefined;
  try {
    const entry = JSON.parse(text) as { key?: Partial<Record<keyof ConfigCacheSlot['key'], unknown>>; config?: unknown; positions?: unknown };
    const { build, source, text: made } = slot.key;
    if (entry.key?.build !== build || entry.key.source !== source || entry.key.text !== made || typeof entry.config !== 'object' || entry.config === null || !isPositions(entry.positions)) return undefined;
    return { config: entry.config as IsolaneConfig, positions: entry.positions };
  } catch {
    return undefined; // torn or foreign: parse again, and write it anew
  }
}

/** Keeps a validated config, only if it is plain data that reads back exactly as it is. */
export async function writeCachedConfig(slot: ConfigCacheSlot, value: CachedConfig): Promise<void> {
  const text = `${JSON.stringify({ key: slot.key, ...value })}\n`;
  const back = JSON.parse(text) as CachedConfig;
  if (text.length > MAX_ENTRY_BYTES || !isDeepStrictEqual(back.config, value.config) || !isDeepStrictEqual(back.positions, value.positions)) return;
  await writeCacheFile(slot.file, text);
}

const isPositions = (v: unknown): v is KeyPositions =>
  Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 3 && typeof p[0] === 'string' && Number.isInteger(p[1]) && Number.isInteger(p[2]));

declare const __ISOLANE_BUILD__: string | undefined; // set by the CLI's bundler (scripts/bundle-cli.mjs)

/** The running build of isolane, a hash of the sources it was bundled from; none where it runs unbundled (the library keeps a config it loaded for as long as it lives). */
function codeIdentity(): string | undefined {
  return typeof __ISOLANE_BUILD__ === 'string' ? __ISOLANE_BUILD__ : undefined;
}
