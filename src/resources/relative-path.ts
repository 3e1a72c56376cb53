import path from 'node:path';

/**
 * Why a file path of isolane.yaml that names a file inside each lane (an env file, a SQLite
 * database) cannot be one; undefined when it can. It must stay inside, relative to the root, and
 * never reach into `.git`. Pure: symlinks on the way are refused where the file is written,
 * which only the file system can tell.
 */
export function relativeFileProblem(file: string, root: 'lane' | 'repository'): string | undefined {
  if (file.includes('\0') || file.includes('\\') || file.includes('\n')) return 'expected a relative path with / separators';
  if (path.posix.isAbsolute(file)) return `expected a path relative to the ${root} root, not an absolute one`;
  const segments = file.split('/');
  if (segments.some((s) => s === '..')) return `expected a path inside the ${root} (no ..)`;
  const parts = segments.filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || file.endsWith('/')) return 'expected a file name';
  if (parts.some((s) => s.toLowerCase() === '.git')) return 'expected a path outside .git';
  return undefined;
}

/** `./db//dev.sqlite3` -> `db/dev.sqlite3`. */
export function normaliseRelativeFile(file: string): string {
  return file.split('/').filter((s) => s !== '' && s !== '.').join('/');
}
