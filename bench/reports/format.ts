/** Number formatting shared by the text, Markdown and HTML reports. Missing figures (NaN) read "n/a". */

const known = (v: number): boolean => Number.isFinite(v);

/** Milliseconds, with fewer decimals as the value grows so columns stay narrow. */
export function ms(v: number): string {
  if (!known(v)) return 'n/a';
  return `${v.toFixed(Math.abs(v) < 10 ? 2 : Math.abs(v) < 1000 ? 1 : 0)} ms`;
}

export function ratio(v: number): string {
  return known(v) ? `${v.toFixed(2)}x` : 'n/a';
}

/**
 * isolane runs the raw tools' commands and more, so a ratio of its cost to theirs below this
 * says how much the machine drifted between the two runs of a pair, not that isolane was faster.
 */
export const NOISE_FLOOR = 0.95;

/** Says why a ratio reads "≈1.0x (noise: ...)". */
export const NOISE_NOTE = `≈1.0x (noise: r): isolane runs the raw commands and more, so a ratio r below ${NOISE_FLOOR}x is the machine's drift between the two runs of a pair, not isolane being faster`;

/** A ratio of isolane's cost to the raw tools' doing the same job: below NOISE_FLOOR, "≈1.0x (noise: 0.73x)". */
export function overhead(v: number): string {
  if (!known(v)) return 'n/a';
  return v < NOISE_FLOOR ? `≈1.0x (noise: ${v.toFixed(2)}x)` : `${v.toFixed(2)}x`;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Binary units; negative values are kept (a statfs delta can dip below zero when the fs frees blocks). */
export function bytes(v: number): string {
  if (!known(v)) return 'n/a';
  let unit = 0;
  let scaled = Math.abs(v);
  while (scaled >= 1024 && unit < UNITS.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${v < 0 ? '-' : ''}${unit === 0 ? scaled.toFixed(0) : scaled.toFixed(1)} ${UNITS[unit] ?? 'B'}`;
}

export function mebibytes(v: number): number {
  return Math.round((v / 2 ** 20) * 100) / 100;
}

export function decimal(v: number, digits = 1): string {
  return known(v) ? v.toFixed(digits) : 'n/a';
}

export function count(v: number): string {
  return known(v) ? String(v) : 'n/a';
}

export function duration(seconds: number): string {
  if (!known(seconds)) return 'n/a';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** ISO timestamps as "2025-06-01 14:03 UTC"; anything unparseable is shown as given. */
export function timestamp(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
