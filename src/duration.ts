import { IsolaneError } from './errors.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d{1,9})(ms|s|m|h|d|w)$/;

/** `90s`, `30m`, `12h`, `7d`, `2w` in milliseconds; undefined when `text` is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m?.[1] || !m[2]) return undefined;
  return Number(m[1]) * (UNITS[m[2]] ?? 0);
}

/** As parseDuration, for an option: a USAGE error naming it otherwise. */
export function durationOption(text: string, option: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new IsolaneError('USAGE', `${option} ${JSON.stringify(text)} is not a duration`, { hint: `write a whole number and a unit: 90s, 30m, 12h, 7d or 2w` });
  }
  return ms;
}

/** A duration in the largest unit it fills: 1800000 → `30m`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', UNITS.d], ['h', UNITS.h], ['m', UNITS.m], ['s', UNITS.s]] as const) {
    if (size !== undefined && ms >= size) return `${Math.floor(ms / size)}${unit}`;
  }
  return `${Math.max(0, Math.round(ms))}ms`;
}
