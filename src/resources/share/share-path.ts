/**
 * Why a `share[].path` cannot be used, or undefined: a relative path inside the checkout, with
 * no `.` or `..` component and not in `.git`, so seeding can never write outside the lane.
 */
export function sharePathProblem(p: string): string | undefined {
  if (p.startsWith('/') || p.includes('\\')) return 'expected a path relative to the repository root, with forward slashes';
  const parts = p.replace(/\/+$/, '').split('/');
  if (parts.some((s) => s === '' || s === '.' || s === '..')) return 'expected a plain relative path (no empty, . or .. components)';
  if (parts[0] === '.git') return 'expected a path outside .git';
  return undefined;
}

/** The path as isolane uses it: no trailing slash. */
export function normaliseSharePath(p: string): string {
  return p.replace(/\/+$/, '');
}
