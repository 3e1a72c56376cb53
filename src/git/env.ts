/** Variables git may see. Everything else, notably every inherited GIT_* override, is dropped. */
const PASS_THROUGH = ['PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR', 'XDG_CONFIG_HOME', 'SSH_AUTH_SOCK', 'TZ'] as const;

/**
 * Set on every call: no credential prompts, no system config, stable English messages, and
 * git refuses abbreviated long options (`--upload-p=` for `--upload-pack=`).
 */
const FORCED = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS: 'true',
  LC_ALL: 'C',
} as const;

/** The variables simple-git's environment guard must let through. */
export const FORCED_GIT_ENV: readonly string[] = Object.keys(FORCED);

export function scrubGitEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of PASS_THROUGH) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return { ...out, ...FORCED };
}
