/**
 * What a CLI run loads: runs the built CLI (npm run build first) under a Node module hook that
 * records every module loaded, and maps the bundle's files back to their input modules through
 * esbuild's metafile (dist/cli/meta.json). For checks that a command loads nothing it does not need.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CliResult, TestRepo } from './repo.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Registers a load hook that appends every URL Node loads (ESM, and CommonJS through require) to $ISOLANE_TRACE. */
const REGISTER = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
const out = process.env.ISOLANE_TRACE;
register('./trace-hooks.mjs', import.meta.url, { data: { out } });
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(out, [...Object.keys(require.cache).map((f) => 'file://' + f), ...process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => 'builtin:' + m.slice(13))].map((l) => l + '\\n').join('')));
`;
const HOOKS = `
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, next) { appendFileSync(out, url + '\\n'); return next(url, context); }
`;

export interface Metafile {
  readonly inputs: Record<string, { readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: string }> }>;
  readonly outputs: Record<string, { readonly inputs: Record<string, unknown> }>;
}

export const readMetafile = async (): Promise<Metafile> => JSON.parse(await fsp.readFile(path.join(ROOT, 'dist/cli/meta.json'), 'utf8')) as Metafile;

/** The package a module path belongs to (`@scope/name` or `name`), if it is in node_modules. */
export const packageOf = (file: string): string | undefined => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];

/** The input modules (src files and package files) a CLI run in `repo` loaded, with its result. */
export async function loadedModules(repo: TestRepo, meta: Metafile, argv: readonly string[]): Promise<CliResult & { inputs: Set<string>; builtins: Set<string> }> {
  const register = path.join(repo.dir, 'trace-register.mjs');
  await fsp.writeFile(register, REGISTER);
  await fsp.writeFile(path.join(repo.dir, 'trace-hooks.mjs'), HOOKS);
  const trace = path.join(repo.dir, `trace-${argv.join('_').replace(/[^a-z0-9_-]/gi, '')}.txt`);
  await fsp.rm(trace, { force: true });
  const result = await repo.cli(argv, { env: { NODE_OPTIONS: `--import=${pathToFileURL(register).href}`, ISOLANE_TRACE: trace } });
  const inputs = new Set<string>();
  const builtins = new Set<string>();
  for (const url of (await fsp.readFile(trace, 'utf8')).split('\n')) {
    if (url.startsWith('builtin:')) builtins.add(url.slice(8)); // Node's own modules, internal ones too (internal/fs/promises)
    if (!url.startsWith('file://')) continue; // node: builtins as the load hook saw them
    const file = fileURLToPath(url);
    const chunk = meta.outputs[path.relative(ROOT, file)];
    if (chunk) for (const input of Object.keys(chunk.inputs)) inputs.add(input);
    else inputs.add(file); // a module outside the bundle (an external package, bin/isolane.js)
  }
  return { ...result, inputs, builtins };
}

/** Records the builtins loaded after it (a CommonJS preload: no loader hook, whose own thread loads streams). */
const BUILTINS = `
const before = new Set(process.moduleLoadList);
process.on('exit', () => require('node:fs').appendFileSync(process.env.ISOLANE_TRACE, process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13) + '\\n').join('')));
`;

/** Node's own modules a CLI run in `repo` loaded beyond Node's start-up (internal ones too). */
export async function loadedBuiltins(repo: TestRepo, argv: readonly string[]): Promise<CliResult & { builtins: Set<string> }> {
  const preload = path.join(repo.dir, 'trace-builtins.cjs');
  await fsp.writeFile(preload, BUILTINS);
  const trace = path.join(repo.dir, `builtins-${argv.join('_').replace(/[^a-z0-9_-]/gi, '')}.txt`);
  await fsp.rm(trace, { force: true });
  const result = await repo.cli(argv, { env: { NODE_OPTIONS: `--require=${preload}`, ISOLANE_TRACE: trace } });
  return { ...result, builtins: new Set((await fsp.readFile(trace, 'utf8')).split('\n').filter(Boolean)) };
}
