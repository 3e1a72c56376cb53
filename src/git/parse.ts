/** Pure parsers of git's machine-readable output. */

export interface WorktreeEntry {
  readonly path: string;
  readonly head: string | undefined;
  /** Full ref, e.g. refs/heads/isolane/fix-login; undefined when detached. */
  readonly branch: string | undefined;
  readonly prunable: boolean;
  readonly locked: boolean;
}

/** `git worktree list --porcelain -z`: attributes separated by NUL, entries by an empty one. */
export function parseWorktreeList(output: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: { path?: string; head?: string; branch?: string; prunable: boolean; locked: boolean } = { prunable: false, locked: false };
  const flush = (): void => {
    if (current.path !== undefined) {
      entries.push({ path: current.path, head: current.head, branch: current.branch, prunable: current.prunable, locked: current.locked });
    }
    current = { prunable: false, locked: false };
  };
  for (const field of output.split('\0')) {
    if (field === '') {
      flush();
      continue;
    }
    const space = field.indexOf(' ');
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? '' : field.slice(space + 1);
    if (key === 'worktree') current.path = value;
    else if (key === 'HEAD') current.head = value;
    else if (key === 'branch') current.branch = value;
    else if (key === 'prunable') current.prunable = true;
    else if (key === 'locked') current.locked = true;
  }
  flush();
  return entries;
}

/**
 * `git status --porcelain=v1 -z`: returns lines like `?? notes.txt`, ` M src/a.ts`,
 * `R  new.ts <- old.ts` (a rename's source follows as its own NUL field).
 */
export function parseStatus(output: string): string[] {
  const fields = output.split('\0');
  const lines: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (!field) continue;
    const code = field.slice(0, 2);
    if (code.startsWith('R') || code.startsWith('C')) {
      lines.push(`${field} <- ${fields[i + 1] ?? ''}`);
      i++;
    } else {
      lines.push(field);
    }
  }
  return lines;
}

/** The branch header of `git status --porcelain=v2 --branch`. */
export interface StatusBranch {
  /** The commit checked out; undefined on an unborn branch. */
  readonly oid: string | undefined;
  /** The branch checked out; undefined when detached. */
  readonly head: string | undefined;
  /** The upstream, as git shortens its name; undefined when none is set. */
  readonly upstream: string | undefined;
  /** Commits the branch has that its upstream lacks, and the reverse; undefined when not counted (upstream gone). */
  readonly ahead: number | undefined;
  readonly behind: number | undefined;
}

/** Fields before the path in each kind of v2 entry (1: changed, 2: renamed or copied, u: unmerged). */
const V2_FIELDS: Readonly<Record<string, number>> = { '1': 8, '2': 9, u: 10 };

/**
 * `git status --porcelain=v2 -z --branch`: the files as parseStatus gives them for v1 (`?? a`,
 * ` M b`, `R  new <- old`), and the branch header. An entry of a kind this parser does not know
 * is kept whole: it still counts as a change.
 */
export function parseStatusV2(output: string): { lines: string[]; branch: StatusBranch } {
  const fields = output.split('\0');
  const lines: string[] = [];
  const header = new Map<string, string>();
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    if (!field) continue;
    if (field.startsWith('# ')) {
      const space = field.indexOf(' ', 2);
      if (space !== -1) header.set(field.slice(2, space), field.slice(space + 1));
      continue;
    }
    const kind = field[0] ?? '';
    if ((kind === '?' || kind === '!') && field[1] === ' ') {
      lines.push(`${kind}${kind} ${field.slice(2)}`);
      continue;
    }
    const before = V2_FIELDS[kind];
    let at = 0;
    for (let n = 0; before !== undefined && n < before && at !== -1; n++) at = field.indexOf(' ', at + 1);
    if (before === undefined || at === -1) {
      lines.push(field);
      continue;
    }
    const entry = `${field.slice(2, 4).replaceAll('.', ' ')} ${field.slice(at + 1)}`;
    if (kind === '2') {
      lines.push(`${entry} <- ${fields[i + 1] ?? ''}`);
      i++;
    } else {
      lines.push(entry);
    }
  }
  const oid = header.get('branch.oid');
  const head = header.get('branch.head');
  const ab = /^\+(\d+) -(\d+)$/.exec(header.get('branch.ab') ?? '');
  return {
    lines,
    branch: {
      oid: oid === undefined || oid === '(initial)' ? undefined : oid,
      head: head === undefined || head === '(detached)' ? undefined : head,
      upstream: header.get('branch.upstream'),
      ahead: ab ? Number(ab[1]) : undefined,
      behind: ab ? Number(ab[2]) : undefined,
    },
  };
}
