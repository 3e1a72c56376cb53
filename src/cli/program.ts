import { Command, CommanderError, Option } from 'commander';
import { invoke, type CommandFn } from './invoke.js';
import type { GlobalOptions } from './output.js';

/** Wraps a lazily imported command: errors are rendered in one place, the status returned. */
function lazy<A extends unknown[]>(load: () => Promise<CommandFn<A>>, state: { code: number }) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const opts = command.optsWithGlobals<GlobalOptions>();
    state.code = await invoke(load, opts.json === true, args.slice(0, -1) as A);
  };
}

export async function runCli(argv: readonly string[], version: string): Promise<number> {
  const state = { code: 0 };
  const json = new Option('--json', 'print machine-readable JSON (errors go to stderr as JSON)');
  const program = new Command('isolane')
    .description('One isolated lane per coding agent: a branch, its own checkout, leased ports, a database branch and, when needed, a container.')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(run `isolane --help` for usage)')
    .exitOverride();

  program
    .command('init')
    .description('write a commented isolane.yaml at the repository root')
    .option('--force', 'overwrite an existing isolane.yaml')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/init.js')).init, state));

  program
    .command('schema')
    .description('print the JSON Schema of isolane.yaml (for editor completion)')
    .action(lazy(async () => (await import('./commands/schema.js')).schema, state));

  program
    .command('up')
    .description('create a lane: branch <prefix><lane> and its own checkout')
    .argument('<lane>', 'lane name: 1-40 of a-z, 0-9 and -')
    .option('--from <ref>', 'start point (default: the base branch)')
    .option('--strategy <name>', 'isolation strategy, or auto (default: from isolane.yaml)')
    .option('--workload <name>', 'a workload of isolane.yaml: the policy chooses the strategy for it')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/up.js')).upCommand, state));

  program
    .command('ls')
    .alias('list')
    .description('list lanes, reconciling the journal with what really exists')
    .option('--disk', "measure each lane's own disk (walks its files)")
    .addOption(json)
    .action(lazy(async () => (await import('./commands/ls.js')).lsCommand, state));

  program
    .command('path')
    .description("print a lane's directory: cd \"$(isolane path <lane>)\"")
    .argument('<lane>')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/path.js')).pathCommand, state));

  program
    .command('run')
    .description("run a command in a lane's directory; its exit status passes through")
    .argument('<lane>')
    .argument('<argv...>', 'the command, after --')
    .passThroughOptions()
    .usage('<lane> -- <command> [args...]')
    .action(lazy(async () => (await import('./commands/run.js')).runCommand, state));

  program
    .command('down')
    .description('remove a lane: its checkout, then its branch; refuses if work would be lost')
    .argument('<lane>')
    .option('--force', 'remove even if uncommitted files or unmerged commits would be lost (says what)')
    .option('--keep-branch', 'keep the branch (and its commits); remove only the checkout')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/down.js')).downCommand, state));

  program
    .command('gc')
    .description('remove what no lane owns and lanes that are broken (or merged/idle, when asked): prints its plan, acts only with --yes; never a lane in use or holding work')
    .option('--merged', 'also lanes whose branch is merged into its base (merge, squash or rebase merge)')
    .option('--older-than <duration>', 'only lanes idle longer than this (30m, 12h, 7d); alone: idle lanes with no commits of their own')
    .option('--dry-run', 'only print the plan (the default without --yes, unless a terminal answers yes)')
    .option('--yes', 'remove what the plan lists, without asking')
    .option('--log', 'print what gc removed so far, with each branch\'s last commit (to restore it)')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/gc.js')).gcCommand, state));

  program
    .command('claim')
    .description('claim a lane for an agent: gc leaves it while the claim holds; activity in the lane renews it')
    .argument('<lane>')
    .requiredOption('--ttl <duration>', 'how long it holds without activity (e.g. 30m)')
    .option('--as <name>', 'who claims it (shown by gc; default: user and parent process)')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/claim.js')).claimCommand, state));

  program
    .command('release')
    .description("let go of a lane's claim")
    .argument('<lane>')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/claim.js')).releaseCommand, state));

  program
    .command('setup')
    .description("run isolane.yaml's set-up steps again in a lane (seeding shared directories it lacks); ready when they pass")
    .argument('<lane>')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/setup.js')).setupCommand, state));

  program
    .command('fetch')
    .description("bring a clone or container lane's commits into the main repository: its branch moves forward only")
    .argument('<lane>')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/fetch.js')).fetchCommand, state));

  program
    .command('sync')
    .description("rebase lanes onto their base's upstream, fetched once; a lane that conflicts is rolled back as it was")
    .argument('[lanes...]', 'lanes to sync (or --all)')
    .option('--all', 'every lane of the repository')
    .option('--dry-run', 'only report what would be rebased and what would conflict (the base is fetched; no ref or lane file moves)')
    .option('--no-fetch', 'fetch nothing: use the base as last fetched')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/sync.js')).syncCommand, state));

  program
    .command('env')
    .description("print a lane's environment (ISOLANE_*, ports, DATABASE_URL, env.vars) as export lines: eval \"$(isolane env <lane>)\"")
    .argument('<lane>')
    .option('--dotenv', 'print NAME=value lines (as the env files hold them)')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/env.js')).envCommand, state));

  program
    .command('ports')
    .description("list every port lease: lane, name, port, and whether something listens on it now")
    .addOption(json)
    .action(lazy(async () => (await import('./commands/ports.js')).portsCommand, state));

  program
    .command('shell')
    .description('open an interactive shell in a lane (inside its container for container lanes)')
    .argument('<lane>')
    .action(lazy(async () => (await import('./commands/shell.js')).shellCommand, state));

  program
    .command('start')
    .description("start a lane's services (isolane.yaml services:) detached, and wait until each is ready")
    .argument('<lane>')
    .argument('[service]', 'only this service (default: all)')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/start.js')).startCommand, state));

  program
    .command('stop')
    .description("stop a lane's services: SIGTERM to each one's process group, SIGKILL after 10 s")
    .argument('<lane>')
    .argument('[service]', 'only this service (default: all)')
    .addOption(json)
    .action(lazy(async () => (await import('./commands/stop.js')).stopCommand, state));

  program
    .command('logs')
    .description("print a lane's service logs (each line prefixed by its service when there are several)")
    .argument('<lane>')
    .argument('[service]', 'only this service (default: all)')
    .option('-f, --follow', 'keep printing new output until Ctrl-C')
    .addOption(new Option('--json', 'print one JSON object per line: {service, line}'))
    .action(lazy(async () => (await import('./commands/logs.js')).logsCommand, state));

  program
    .command('watch')
    .description("supervise every lane's services of this repository: restart those that die (with backoff), mark crash loops; Ctrl-C stops supervising, NOT the services")
    .option('--gc-every <duration>', 'also run `isolane gc --yes` this often (broken lanes and leftovers; never a lane in use or holding work)')
    .addOption(new Option('--json', 'print one JSON event per line'))
    .action(lazy(async () => (await import('./commands/watch.js')).watchCommand, state));

  program
    .command('bench')
    .description('measure every strategy on this host (latency, disk, fetch, agents at once) and keep the results for the policy')
    .option('--quick', 'a short run: small fixture outside a repository, 3 rounds, 2 agents')
    .option('--repo <path>', 'measure this repository (a private copy of it; default: the one around you)')
    .option('--fixture <preset>', 'measure a generated repository: tiny, small, medium or large')
    .option('--strategies <list>', 'comma-separated: worktree,clone,container (default: all)')
    .option('--agents <list>', 'agents at once, comma-separated (default 1,2,4,8; --quick: 2)')
    .option('--rounds <n>', 'interleaved rounds per latency measure (default 10; --quick: 3)')
    .option('--json [file]', 'write the JSON report to file, or print it instead of the table')
    .option('--markdown <file>', 'write the Markdown report here')
    .option('--html <file>', 'write the HTML report (with charts) here')
    .option('--out <dir>', "directory for reports not given a file (default: the repository's isolane state, else ./isolane-bench)")
    .action(lazy(async () => (await import('./commands/bench.js')).benchCommand, state));

  const policy = program.command('policy').description('the hybrid policy that chooses a strategy per workload');
  policy
    .command('explain')
    .description('show which strategy a workload gets on this host, with every reason and the numbers behind it')
    .argument('[workload]', 'a workload of isolane.yaml (default: default)', 'default')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action(lazy(async () => (await import('./commands/policy.js')).policyExplainCommand, state));

  const image = program.command('image').description('container images for container lanes');
  image
    .command('build')
    .description('build the base image locally (debootstrap + import; no registry needed, needs root)')
    .option('--node', "add Debian's Node.js and npm")
    .option('--tag <ref>', 'image reference (default isolane/base:bookworm, or ...-node with --node)')
    .option('--mirror <url>', 'Debian mirror for debootstrap')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action(lazy(async () => (await import('./commands/image.js')).imageBuildCommand, state));

  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return state.code;
}
