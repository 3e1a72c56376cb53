// Bundles the CLI into dist/cli: one file per command, loaded on demand. A single bundle loads
// about twice as fast as the same modules resolved one file at a time from node_modules.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
rmSync('dist/cli', { recursive: true, force: true }); // no stale chunks from earlier builds

/** What the start-up bundle (main.cjs) hands to the split build, by their entry names: commander's program and the hot commands. */
const HANDED_ON = ['program', 'commands/env', 'commands/ls', 'commands/run', 'commands/up', 'commands/down', 'commands/path-remount'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Native addons and dockerode's optional native deps stay in node_modules.
  external: ['fs-native-extensions', 'dockerode', 'ssh2', 'cpu-features'],
  sourcemap: 'linked',
  define: { __ISOLANE_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
  // Which input modules each output holds: the start-up test maps loaded files back to modules.
  metafile: true,
};

// Commander's program and every command, split into shared ES module chunks. What the start-up
// bundle hands on are entries with fixed names, so it can import them.
const split = await build({
  ...common,
  format: 'esm',
  banner: { js: "import { createRequire as __isolaneRequire } from 'node:module'; const require = __isolaneRequire(import.meta.url);" },
  entryPoints: Object.fromEntries(HANDED_ON.map((name) => [name, `src/cli/${name}.ts`])),
  outdir: 'dist/cli',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});

// The start-up (src/cli/main.ts, fast-path.ts) with all of `--version` and `path` in ONE
// CommonJS file: each file Node loads costs about a millisecond, a CommonJS entry spares Node its
// ES module loader (about 4 ms), and `isolane path` is most of what agents call. The rest is the
// split build's, imported by entry name.
const fast = await build({
  ...common,
  format: 'cjs',
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.cjs',
  plugins: [external(/^\.\/(?:commands\/)?(program|env|ls|run|up|down|path-remount)\.js$/, (m) => (m[1] === 'program' ? './program.js' : `./commands/${m[1]}.js`))],
});

writeFileSync('dist/cli/meta.json', JSON.stringify({
  inputs: { ...split.metafile.inputs, ...fast.metafile.inputs },
  outputs: { ...split.metafile.outputs, ...fast.metafile.outputs },
}));

/** Leaves dynamic imports matching `filter` to be loaded at run time from `to(match)` (relative to dist/cli). */
function external(filter, to) {
  return {
    name: 'hand-on',
    setup(b) {
      b.onResolve({ filter }, (args) => (args.kind === 'dynamic-import' ? { path: to(filter.exec(args.path)), external: true } : undefined));
    },
  };
}
