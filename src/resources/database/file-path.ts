import path from 'node:path';

/**
 * Why `database.path` (a SQLite file, relative to the repository root and so to each lane's)
 * cannot be one; undefined when it can. Pure: symlinks on the way are refused when copying.
 */
export function sqlitePathProblem(file: string): string | undefined {
  if (file.includes('\0') || file.includes('\\') || file.includes('\n')) return 'expected a relative path with / separators';
  if (path.posix.isAbsolute(file)) return 'expected a path relative to the repository root, not an absolute one';
  const segments = file.split('/');
  if (segments.some((s) => s === '..')) return 'expected a path inside the repository (no ..)';
  const parts = segments.filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || file.endsWith('/')) return 'expected a file name';
  if (parts.some((s) => s.toLowerCase() === '.git')) return 'expected a path outside .git';
  return undefined;
}

/** `./db//dev.sqlite3` -> `db/dev.sqlite3`. */
export function normaliseSqlitePath(file: string): string {
  return file.split('/').filter((s) => s !== '' && s !== '.').join('/');
}
