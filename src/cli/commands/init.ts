import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILE } from '../../config/load.js';
import { configTemplate } from '../../config/template.js';
import type { Context } from '../../context.js';
import { IsolaneError } from '../../errors.js';
import { locateRepo } from '../../git/repo.js';
import { printJson } from '../output.js';

export async function init(ctx: Context, opts: { force?: boolean; json?: boolean }): Promise<void> {
  const repo = await locateRepo(ctx);
  const file = path.join(repo.root, CONFIG_FILE);
  try {
    await fsp.writeFile(file, configTemplate(), { flag: opts.force ? 'w' : 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new IsolaneError('EXISTS', `${file} already exists; left it unchanged`, { hint: 'pass --force to overwrite it' });
    }
    throw e;
  }
  if (opts.json) printJson({ file });
  else process.stdout.write(`wrote ${file}\n`);
}
