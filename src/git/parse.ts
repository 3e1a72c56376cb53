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
