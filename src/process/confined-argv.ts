/**
 * How a command is put in its cgroups before it runs any code of its own: either a fixed shell
 * script writes its own pid into each `cgroup.procs` and then execs the command (cgroupfs
 * written directly), or a prefix such as `systemd-run --scope ...` starts it in a unit.
 */
export interface Confinement {
  /** `cgroup.procs` files the command is placed in, one per hierarchy (cgroup v1) or one (v2). */
  readonly procsFiles?: readonly string[];
  /** argv that runs the rest of the line in its place (systemd-run ... --). */
  readonly prefix?: readonly string[];
}

/** What the placing script exits with when it cannot place itself: as `docker run` does for its own failures. */
export const PLACEMENT_FAILED = 125;

/**
 * A fixed script: paths and argv are its positional arguments, never part of its text. `$$` is
 * the shell's pid, which `exec` hands to the command, so the command starts inside the cgroups.
 */
const PLACE_SCRIPT =
  'for f; do case $f in --) break;; esac; ' +
  `echo $$ > "$f" || { echo "isolane: could not place the command in the cgroup $f" >&2; exit ${PLACEMENT_FAILED}; }; shift; done; ` +
  'shift; exec "$@"';

/** argv that starts `argv` inside `confine` (argv itself when there is nothing to confine it to). */
export function confinedArgv(confine: Confinement | undefined, argv: readonly string[]): readonly string[] {
  if (!confine) return argv;
  let out = argv;
  const files = confine.procsFiles ?? [];
  if (files.some((f) => f === '--' || !f.startsWith('/'))) throw new TypeError(`not a cgroup.procs path: ${files.join(' ')}`);
  if (files.length > 0) out = ['/bin/sh', '-c', PLACE_SCRIPT, 'sh', ...files, '--', ...out];
  if (confine.prefix && confine.prefix.length > 0) out = [...confine.prefix, ...out];
  return out;
}
