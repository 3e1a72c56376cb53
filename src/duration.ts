import { IsolaneError } from './errors.js';

/** A duration of isolane.yaml or an option: `500ms`, `60s`, `2m`, `1h`, `7d`, `2w`. */
const DURATION = /^(\d{1,9})(ms|s|m|h|d|w)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Milliseconds, or why the text is not a duration. Pure. */
export function parseDuration(text: string): number | string {
  const m = DURATION.exec(text.trim());
  if (!m) return `expected a duration such as 500ms, 60s, 2m, 1h or 7d (got ${JSON.stringify(text)})`;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms <= 0) return `expected a duration above zero (got ${text})`;
  return ms;
}

/** As parseDuration, for a command-line option: a USAGE error naming it otherwise. */
export function durationOption(text: string, option: string): number {
  const ms = parseDuration(text);
  if (typeof ms === 'string') throw new IsolaneError('USAGE', `${option} ${JSON.stringify(text)} is not a duration`, { hint: `${ms}: a whole number and a unit (ms, s, m, h, d, w)` });
  return ms;
}

/** 60000 -> 60s, exactly, for messages about settings. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A span in the largest unit it fills, rounded down: 95000 -> 1m (for "active 1m ago"). */
export function roughDuration(ms: number): string {
  for (const [unit, size] of [['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m], ['s', UNIT_MS.s]] as const) {
    if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  }
  return `${Math.max(0, Math.round(ms))}ms`;
}
