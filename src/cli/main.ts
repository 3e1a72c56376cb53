/**
 * Entry point of the `isolane` binary. `--version` answers before anything else loads; the hot
 * commands in their plain forms skip commander (fast-path.ts); each command's module is imported
 * only when that command runs: agents call isolane often.
 */
declare const __ISOLANE_VERSION__: string; // set by the bundler from package.json
const version = __ISOLANE_VERSION__;
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${version}\n`);
} else {
  const { runFastPath } = await import('./fast-path.js');
  const fast = await runFastPath(args);
  if (fast !== undefined) process.exitCode = fast;
  else {
    const { runCli } = await import('./program.js');
    process.exitCode = await runCli(process.argv, version);
  }
}
