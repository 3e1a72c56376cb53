/** A duration of isolane.yaml or an option: `500ms`, `60s`, `2m`, `1h`. Pure. */
const DURATION = /^(\d{1,7})(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds, or why the text is not a duration. */
export function parseDuration(text: string): number | string {
  const m = DURATION.exec(text.trim());
  if (!m) return `expected a duration such as 500ms, 60s, 2m or 1h (got ${JSON.stringify(text)})`;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms <= 0) return `expected a duration above zero (got ${text})`;
  return ms;
}

/** 60000 -> 60s, for messages. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
