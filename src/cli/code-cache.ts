import { readFileSync } from 'node:fs';
import type NodeModule from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { pruneCacheEntries, readCacheBytes, userCacheDir, writeCacheFileSync } from '../fs/user-cache.js';

/** Each hot bundle's content hash, by command: set by the CLI's bundler (scripts/bundle-cli.mjs). */
declare const __ISOLANE_BUNDLES__: Readonly<Record<string, string>> | undefined;

/** A code cache larger than this is not ours: read nothing. */
const MAX_CACHE_BYTES = 32 * 2 ** 20;

/**
 * Loads one of the CLI's own CommonJS bundles (dist/cli/hot/<name>.cjs) as `require` would,
 * with V8's code cache for it kept in the user's cache (src/fs/user-cache.ts): compiling a
 * 200-300 KB bundle costs about 3 ms of every call, its cache about 1 ms. The cache is written
 * once per bundle (by its content hash: V8 itself checks a cache only against the source's
 * length) and Node, when the process ends (so it holds the functions the command compiled on its
 * way); V8 refuses one made by another V8 or with other flags, and it is then written again; a
 * cache of another build of the same command written a day ago or more goes then. The bundle's dynamic imports
 * come here (its banner's __isolaneLoad): code compiled by node:vm cannot import() by itself on
 * Node 20.
 */
export function loadBundle(file: string): unknown {
  const source = readFileSync(file, 'utf8');
  const cacheFile = cacheFileOf(file);
  const cached = cacheFile === undefined ? undefined : readCacheBytes(cacheFile, MAX_CACHE_BYTES);
  // One line, as Node's own wrapper: the bundle's line numbers (and its source map) stay right.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __isolaneImport) {${source}\n})`, {
    filename: file,
    ...(cached ? { cachedData: cached } : {}),
  });
  if (cacheFile !== undefined && (cached === undefined || script.cachedDataRejected === true)) {
    process.once('exit', () => {
      writeCacheFileSync(cacheFile, script.createCachedData());
      pruneCacheEntries(cacheFile, ofBundle(path.basename(file, '.cjs')), STALE_MS);
    });
  }
  // A module of Node's own, in require's cache: a later require of the file gets the same
  // exports, and what lists loaded modules (require.cache) sees it.
  const Module = moduleClass();
  const require = Module.createRequire(file);
  const bundle = new Module(file);
  bundle.filename = file;
  require.cache[file] = bundle;
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(bundle.exports, bundle.exports, require, bundle, file, path.dirname(file), importUrl);
  bundle.loaded = true;
  return bundle.exports;
}

/**
 * Node's Module class: that of the CommonJS module this runs in (the CLI's main.cjs) where there
 * is one, else node:module's. Loading node:module costs every command 0.16 ms (it brings part of
 * the ES module loader) for a class main.cjs already has.
 */
function moduleClass(): typeof NodeModule {
  const own: unknown = typeof module === 'object' && module !== null ? module.constructor : undefined;
  return typeof own === 'function' ? (own as typeof NodeModule) : process.getBuiltinModule('node:module').Module;
}

/** `<cache>/code/<bundle>-<its hash>-<node>-<arch>.v8`; undefined where the bundle's hash or the cache directory is unknown. */
function cacheFileOf(file: string): string | undefined {
  const dir = userCacheDir(process.env);
  const name = path.basename(file, '.cjs');
  const hash = typeof __ISOLANE_BUNDLES__ === 'object' ? __ISOLANE_BUNDLES__[name] : undefined;
  if (hash === undefined || dir === undefined) return undefined;
  return path.join(dir, 'code', `${name}-${hash}-${process.version}-${process.arch}.v8`);
}

/** A day: a cache of another build of a command written longer ago goes when a new one is written (an upgrade leaves its old one; one still in use is written again). */
const STALE_MS = 24 * 3600_000;

/** A cache of another build of bundle `name`. */
const ofBundle = (name: string) => (entry: string): boolean => entry.startsWith(`${name}-`) && /^[0-9a-f]{16}-v/.test(entry.slice(name.length + 1)) && entry.endsWith('.v8');

/** A bundle's dynamic import, its specifier resolved by the bundle (a URL, or a package name). */
const importUrl = (url: string): Promise<unknown> => import(url);
