/** A port range of isolane.yaml (`20000-29999`, inclusive). Pure. */
export interface PortRange {
  readonly low: number;
  readonly high: number;
}

/** Lowest port a lane may lease: below 1024 binding needs privileges. */
export const MIN_PORT = 1024;
export const MAX_PORT = 65535;

/** The range, or why it is not one. */
export function parseRange(text: string): PortRange | string {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (!m) return 'expected a range such as 20000-29999';
  const low = Number(m[1]);
  const high = Number(m[2]);
  if (low < MIN_PORT || high > MAX_PORT) return `expected ports from ${MIN_PORT} to ${MAX_PORT} (got ${text})`;
  if (low > high) return `expected low-high, low first (got ${text}: did you mean ${high}-${low}?)`;
  return { low, high };
}

export function formatRange(r: PortRange): string {
  return `${r.low}-${r.high}`;
}

/** The variable a port name gets: web -> PORT_WEB. */
export function portVariable(name: string): string {
  return `PORT_${name.toUpperCase()}`;
}
