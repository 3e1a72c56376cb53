/**
 * A lane's environment as text. Pure. Names are validated variable names; values may hold
 * anything but NUL, so each format quotes what its readers would otherwise split or expand.
 */

const PLAIN = /^[A-Za-z0-9_./:@%+,=-]*$/;

/** `export NAME='value'` lines a POSIX shell evaluates back to exactly the values. */
export function exportLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}\n`)
    .join('');
}

export function shellQuote(value: string): string {
  return PLAIN.test(value) && value !== '' ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * `NAME=value` lines as dotenv readers (dotenv, Node's --env-file, python-dotenv, Vite) read
 * them: bare when safe, single-quoted (literal) when possible, else double-quoted with escapes.
 */
export function dotenvLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${dotenvQuote(v)}\n`)
    .join('');
}

export function dotenvQuote(value: string): string {
  if (PLAIN.test(value)) return value;
  if (!value.includes("'") && !/[\n\r]/.test(value)) return `'${value}'`;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replaceAll('\r', '\\r').replaceAll('$', '\\$')}"`;
}
