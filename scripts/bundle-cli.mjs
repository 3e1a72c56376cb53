// Bundles the CLI into dist/cli, in three parts, because each file Node loads costs about a
// millisecond and an ES module file more than a CommonJS one:
// - main.cjs: the start-up (src/cli/main.ts, fast-path.ts) and all of `--version`, one small
//   CommonJS file (Node then starts without its ES module loader, and compiles little: Node
//   compiles it on every start, about 1 ms per 50 KB);
// - hot/<name>.cjs: each command agents call often (path, ls, up, down, env, run) as ONE CommonJS file with
//   everything it imports statically (about 7 ms to load, against 20-30 ms for the same code in
//   30-40 shared chunks); what it imports dynamically (loaded only when needed: a config file's
//   parser, the policy, docker, execa) is handed to the third part under a fixed name, lazy/<name>.js;
//   hot/ahead.cjs is what `ls` starts before its command loads (src/git/ahead.ts);
// - program.js and lazy/*.js: commander's program with every command, and those lazy modules,
//   split into shared chunks.
// A module can so be in more than one part (the error classes, for one): nothing in the code may
// rely on module identity (src/errors.ts brands its classes so `instanceof` holds across copies).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
/** This build, by what it is built from: what a build keeps in the user's cache (src/config/cache.ts) is valid for it alone. */
const buildId = createHash('sha256')
  .update(version)
  .update(['src', 'strategies'].flatMap((dir) => readdirSync(dir, { recursive: true }).map((f) => `${dir}/${f}`)).filter((f) => /\.ts$/.test(f)).sort().map((f) => `${f}\0${readFileSync(f, 'utf8')}`).join('\0'))
  .digest('hex');
rmSync('dist/cli', { recursive: true, force: true }); // no stale chunks from earlier builds

/**
 * The commands the start-up bundle hands on in their plain forms (src/cli/fast-path.ts), each one
 * file; and what `ls` starts before its command loads (src/git/ahead.ts), which the other
 * commands should not compile on every start.
 */
const HOT = {
  ...Object.fromEntries(['env', 'ls', 'run', 'up', 'down', 'path'].map((name) => [name, `src/cli/commands/${name}.ts`])),
  ahead: 'src/git/ahead.ts',
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Native addons and dockerode's optional native deps stay in node_modules.
  external: ['fs-native-extensions', 'ssh2', 'cpu-features'],
  sourcemap: 'linked',
  define: { __ISOLANE_VERSION__: JSON.stringify(version), __ISOLANE_BUILD__: JSON.stringify(buildId) },
  logLevel: 'warning',
  // No keepNames: its __name() call for every function costs about 0.5 ms of a hot command's
  // start-up, and nothing reads a function's name (src/errors.ts's instanceof reads errorClass).
  // Which input modules each output holds: the start-up test maps loaded files back to modules.
  metafile: true,
};
const esm = {
  format: 'esm',
  banner: { js: "import { createRequire as __isolaneRequire } from 'node:module'; const require = __isolaneRequire(import.meta.url);" },
};

// The hot commands, one CommonJS file each: main.cjs requires them, so a command that needs
// nothing else never starts the ES module loader (about 3 ms, and an ES module compiles slower).
// Their dynamic imports become lazy entries of the split build, loaded with a real import().
const lazy = new Map(); // entry name -> absolute path of the module
const hot = await build({
  ...common,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  // import.meta.url as the ES module build would have it (src/fs/try-lock.ts resolves from it),
  // made when first read: pathToFileURL at load costs 0.3 ms.
  define: { ...common.define, 'import.meta.url': '__isolaneMeta.url' },
  // Its dynamic imports go through __isolaneLoad: main.cjs compiles it with node:vm for a code cache
  // (src/cli/code-cache.ts), and code compiled so cannot import() by itself on Node 20.
  banner: {
    js: "const __isolaneMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } }; const __isolaneLoad = (s) => { const url = s.startsWith('.') ? new URL(s, __isolaneMeta.url).href : s; return typeof __isolaneImport === 'function' ? __isolaneImport(url) : import(url); };",
  },
  entryPoints: HOT,
  outdir: 'dist/cli/hot',
  splitting: false,
  plugins: [handOnDynamicImports(lazy), dockerOnDemand()],
});

// Each hot bundle as it will be loaded, and its hash: main.cjs keys each one's code cache by it
// (V8 checks a cache only against the source's length).
const hotHashes = {};
for (const file of Object.keys(hot.metafile.outputs).filter((f) => f.endsWith('.cjs'))) {
  postProcess(file);
  hotHashes[path.basename(file, '.cjs')] = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
}

// Commander's program and every command, and the hot commands' lazy modules, in shared chunks.
const split = await build({
  ...common,
  ...esm,
  entryPoints: { program: 'src/cli/program.ts', ...Object.fromEntries([...lazy].map(([name, file]) => [`lazy/${name}`, file])) },
  outdir: 'dist/cli',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [dockerOnDemand()],
});

const start = await build({
  ...common,
  define: { ...common.define, __ISOLANE_BUNDLES__: JSON.stringify(hotHashes) },
  format: 'cjs',
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.cjs',
  plugins: [external(/^\.\/(program)\.js$/, () => './program.js'), requireHot(HOT)],
});

postProcess('dist/cli/main.cjs');

const parts = [hot, split, start].map((b) => b.metafile);
writeFileSync('dist/cli/meta.json', JSON.stringify({
  inputs: Object.assign({}, ...parts.map((m) => m.inputs)),
  outputs: Object.assign({}, ...parts.map((m) => m.outputs)),
}));

/**
 * Rewrites a CommonJS bundle in place, on the lines esbuild wrote (the source maps stay right):
 * - esbuild wraps every default import of a builtin (`import path from 'node:path'`, in about 60
 *   modules) in its own __toESM copy of the module's properties: each builtin is copied once, on
 *   first use, instead;
 * - builtins costly to load and needed by few paths (node:crypto is about 2 ms; node:stream and
 *   node:net 1.7 ms together, which `env` and `path` never use; node:os, node:module) are required when first used, not
 *   when the bundle loads. esbuild reads every import at its use
 *   (`(0, import_node_crypto.randomBytes)(4)`, `import_node_net.default.createServer`), so a
 *   property lookup is that first use; at the top level (`var x = require(...)`,
 *   `var x = __toESM(require(...), 1)`) or in a module esbuild initialises lazily (`  x = require(...)`);
 * - a hot command's dynamic imports go through its banner's loader.
 */
function postProcess(file) {
  const text = readFileSync(file, 'utf8');
  const lazy = 'node:(?:crypto|fs\\/promises|timers\\/promises|stream|net|os|module)';
  const once = text
    .replace(new RegExp(`^(\\s*(?:var )?import_[A-Za-z0-9_]+) = __toESM\\(require\\("(${lazy})"\\), 1\\);$`, 'gm'), '$1 = __isolaneLazy("$2", true);')
    .replace(/__toESM\(require\("(node:[a-z_/]+)"\), 1\)/g, '__isolaneBuiltin("$1")')
    .replace(new RegExp(`^(\\s*(?:var )?import_[A-Za-z0-9_]+) = require\\("(${lazy})"\\);$`, 'gm'), '$1 = __isolaneLazy("$2");')
    .replace(/\bimport\("/g, file.includes('/hot/') ? '__isolaneLoad("' : 'import("');
  if (once === text) return;
  if (!once.includes('\nvar __toESM = ')) throw new Error(`${file}: no __toESM helper to reuse`);
  const helpers = [
    'var __isolaneBuiltins = new Map(), __isolaneBuiltin = (id) => __isolaneBuiltins.get(id) ?? __isolaneBuiltins.set(id, __toESM(require(id), 1)).get(id);',
    'var __isolaneLazy = (id, asDefault) => new Proxy({}, { get: (_, key) => (asDefault ? __isolaneBuiltin(id) : require(id))[key] });',
  ].join(' ');
  writeFileSync(file, once.replace('\nvar __toESM = ', `\n${helpers} var __toESM = `));
}

/** Leaves dynamic imports matching `filter` to be loaded at run time from `to(match)` (relative to dist/cli). */
function external(filter, to) {
  return {
    name: 'hand-on',
    setup(b) {
      b.onResolve({ filter }, (args) => (args.kind === 'dynamic-import' ? { path: to(filter.exec(args.path)), external: true } : undefined));
    },
  };
}

/**
 * A dynamic import of a hot bundle's entry (`hot`: name -> entry file) becomes a load of
 * `./hot/<name>.cjs` at run time, with its code cache (src/cli/code-cache.ts): the import is of a
 * module bundled here (so esbuild makes it a plain function call), whose body is that load.
 */
function requireHot(hot) {
  const byFile = new Map(Object.entries(hot).map(([name, file]) => [path.resolve(file), name]));
  return {
    name: 'require-hot',
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        const name = args.kind === 'dynamic-import' ? byFile.get(path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'))) : undefined;
        return name === undefined ? undefined : { path: name, namespace: 'hot' };
      });
      b.onLoad({ filter: /.*/, namespace: 'hot' }, (args) => ({
        contents: `module.exports = require('./src/cli/code-cache.ts').loadBundle(require('node:path').join(__dirname, 'hot', ${JSON.stringify(`${args.path}.cjs`)}));`,
        resolveDir: process.cwd(),
        loader: 'js',
      }));
    },
  };
}

/** Every dynamic import of a module that would be bundled is loaded at run time from `../lazy/<name>.js`, recorded in `lazy`. */
function handOnDynamicImports(lazy) {
  return {
    name: 'hand-on-lazy',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData?.resolving) return undefined;
        const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { resolving: true } });
        if (found.errors.length > 0 || found.external) return undefined; // node: builtins and the packages left in node_modules
        const name = path
          .relative(process.cwd(), found.path)
          .replace(/^node_modules\//, 'pkg/')
          .replace(/\.[cm]?[jt]s$/, '')
          .replace(/[^A-Za-z0-9]+/g, '-');
        lazy.set(name, found.path);
        return { path: `../lazy/${name}.js`, external: true };
      });
    },
  };
}

/**
 * dockerode is bundled (one file loads faster than its ~300 in node_modules), but three of its
 * modules load what isolane never uses: docker-modem's ssh transport (ssh2: isolane refuses a
 * DOCKER_HOST not on this machine) and dockerode's BuildKit session and client (gRPC,
 * protobufjs), about 55 ms of every container command. Each is loaded from node_modules, where
 * dockerode's own require would find it, the first time it is really called.
 */
function dockerOnDemand() {
  const onDemand = {
    'docker-modem/lib/ssh.js': /docker-modem[\\/]lib[\\/]modem\.js$/,
    'dockerode/lib/session.js': /dockerode[\\/]lib[\\/]docker\.js$/,
    'dockerode/lib/buildkit.js': /dockerode[\\/]lib[\\/]docker\.js$/,
  };
  return {
    name: 'docker-on-demand',
    setup(b) {
      b.onResolve({ filter: /^\.\/(ssh|session|buildkit)$/ }, (args) => {
        const target = Object.entries(onDemand).find(([file, importer]) => importer.test(args.importer) && file.endsWith(`/${args.path.slice(2)}.js`))?.[0];
        return target ? { path: target, namespace: 'on-demand' } : undefined;
      });
      // Resolved at run time from dockerode's own place in node_modules, as its require would.
      b.onLoad({ filter: /.*/, namespace: 'on-demand' }, (args) => ({
        contents: `module.exports = function () {
  const load = require('node:module').createRequire(require.resolve('dockerode/package.json'));
  return load(${JSON.stringify(args.path)}).apply(this, arguments);
};`,
        loader: 'js',
      }));
      b.onResolve({ filter: /^dockerode\/package\.json$/, namespace: 'on-demand' }, (args) => ({ path: args.path, external: true }));
    },
  };
}
