import path from 'node:path';

/**
 * Why an env file path of isolane.yaml cannot be one (undefined when it can): it must stay in
 * the lane, relative to its root, and never reach into `.git`. Pure; the writer also refuses
 * symlinks on the way, which only the file system can tell.
 */
export function envFileProblem(file: string): string | undefined {
  if (file.includes('\0') || file.includes('\\')) return 'expected a relative path with / separators';
  if (path.posix.isAbsolute(file)) return 'expected a path relative to the lane root, not an absolute one';
  const segments = file.split('/');
  if (segments.some((s) => s === '..')) return 'expected a path inside the lane (no ..)';
  const parts = segments.filter((s) => s !== '' && s !== '.');
  if (parts.length === 0) return 'expected a file name';
  if (parts.some((s) => s.toLowerCase() === '.git')) return 'expected a path outside .git';
  return undefined;
}

/** The normalised relative path (`./a//b` -> `a/b`). */
export function normaliseEnvFile(file: string): string {
  return file.split('/').filter((s) => s !== '' && s !== '.').join('/');
}
