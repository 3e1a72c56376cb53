/** Bytes in a size such as `512m` or `2g` (k, m, g: powers of 1024); NaN when it is not one. */
export function parseSize(size: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(size);
  const units: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };
  return m ? Math.round(Number(m[1]) * (units[(m[2] ?? '').toLowerCase()] ?? 1)) : Number.NaN;
}

/** Sizes for people: KiB under a MiB, MiB, GiB from 10 GiB up. */
export function formatBytes(bytes: number): string {
  if (bytes >= 10 * 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes < 2 ** 20) return `${Math.round(bytes / 2 ** 10)} KiB`;
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
