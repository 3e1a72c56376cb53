import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

describe('config defaults without isolane.yaml', () => {
  it('are exactly what the schema makes of an empty file', () => {
    expect(defaultConfig()).toStrictEqual(configSchema.parse({}));
  });

  it('are a fresh object each time (a caller changing one changes no other)', () => {
    const a = defaultConfig();
    a.container.ports.push({ container: 1 } as never);
    expect(defaultConfig().container.ports).toEqual([]);
  });

  it('loadConfig gives them without a file, and the same config for an empty file', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isolane-defaults-'));
    try {
      const none = await loadConfig(dir);
      expect(none.file).toBeUndefined();
      expect(none.where(['lanes', 'root'])).toBe('lanes.root (default)');
      await fsp.writeFile(path.join(dir, 'isolane.yaml'), '# nothing set\n');
      const empty = await loadConfig(dir);
      expect(empty.file).toBe(path.join(dir, 'isolane.yaml'));
      expect(none.config).toStrictEqual(empty.config);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
