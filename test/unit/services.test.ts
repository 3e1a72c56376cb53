import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/duration.js';
import { parseStat, procStat } from '../../src/process/proc.js';

describe('service helpers', () => {
  it('parses durations, and says what a duration looks like otherwise', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    for (const bad of ['', '60', '1.5s', '-1s', '0s', '10 s', 's']) expect(parseDuration(bad)).toMatch(/expected a duration/);
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(1500)).toBe('1500ms');
  });

  it('reads /proc/<pid>/stat fields after the command name, whatever that name holds', () => {
    const line = (comm: string): string => `4242 (${comm}) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0`;
    expect(parseStat(line('node'))).toEqual({ pid: 4242, state: 'S', pgrp: 4242, startTime: '987654' });
    expect(parseStat(line('a) Z 9 9 (b'))).toEqual({ pid: 4242, state: 'S', pgrp: 4242, startTime: '987654' });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('reads this very process: its group and a start time that does not change', async () => {
    const a = await procStat(process.pid);
    expect(a?.pid).toBe(process.pid);
    expect(a?.state).not.toBe('Z');
    expect((await procStat(process.pid))?.startTime).toBe(a?.startTime);
    expect(await procStat(2 ** 22 + 1)).toBeUndefined(); // above pid_max: no such process
  });
});
