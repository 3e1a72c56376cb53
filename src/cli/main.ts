/**
 * Entry point of the `isolane` binary, bundled as CommonJS (dist/cli/main.cjs): Node starts a
 * CommonJS entry without its ES module loader, which `--version` and `path` never need.
 * `--version` answers before anything else loads; the hot commands in their plain forms skip
 * commander (fast-path.ts); each command's module is imported only when that command runs: agents
 * call isolane often.
 */
import { runFastPath } from './fast-path.js';
import { writeOut } from './output.js';

declare const __ISOLANE_VERSION__: string; // set by the bundler from package.json

async function main(args: readonly string[]): Promise<number> {
  const version = __ISOLANE_VERSION__;
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    writeOut(`${version}\n`);
    return 0;
  }
  const fast = await runFastPath(args);
  if (fast !== undefined) return fast;
  const { runCli } = await import('./program.js');
  return runCli(process.argv, version);
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
