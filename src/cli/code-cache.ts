import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { readCacheBytes, userCacheDir, writeCacheFileSync } from '../fs/user-cache.js';

declare const __ISOLANE_BUILD__: string | undefined; // set by the CLI's bundler (scripts/bundle-cli.mjs)

/** A code cache larger than this is not ours: read nothing. */
const MAX_CACHE_BYTES = 32 * 2 ** 20;

/**
 * Loads one of the CLI's own CommonJS bundles (dist/cli/commands/<name>.cjs) as `require` would,
 * with V8's code cache for it kept in the user's cache (src/fs/user-cache.ts): compiling a
 * 200-300 KB bundle costs about 3 ms of every call, its cache about 1 ms. The cache is written
 * once per build, Node and bundle, when the process ends (so it holds the functions the command
 * compiled on its way); V8 refuses one made by another V8 or for other source, and it is then
 * written again. The bundle's dynamic imports come here (its banner's __isolaneLoad): code
 * compiled by node:vm cannot import() by itself on Node 20.
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
    process.once('exit', () => writeCacheFileSync(cacheFile, script.createCachedData()));
  }
  // A module of Node's own, in require's cache: a later require of the file gets the same
  // exports, and what lists loaded modules (require.cache) sees it.
  const require = createRequire(file);
  const module = new Module(file);
  module.filename = file;
  require.cache[file] = module;
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, require, module, file, path.dirname(file), importUrl);
  module.loaded = true;
  return module.exports;
}

/** `<cache>/code/<bundle>-<build>-<node>-<arch>.v8`; undefined where there is no build id or no cache directory. */
function cacheFileOf(file: string): string | undefined {
  const dir = userCacheDir(process.env);
  if (typeof __ISOLANE_BUILD__ !== 'string' || dir === undefined) return undefined;
  return path.join(dir, 'code', `${path.basename(file, '.cjs')}-${__ISOLANE_BUILD__.slice(0, 16)}-${process.version}-${process.arch}.v8`);
}

/** A bundle's dynamic import, its specifier resolved by the bundle (a URL, or a package name). */
const importUrl = (url: string): Promise<unknown> => import(url);
