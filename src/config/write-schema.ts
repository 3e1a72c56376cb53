import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from './json-schema.js';
import { configReference } from './reference.js';

/** Regenerates schema/isolane.schema.json and README's configuration reference (npm run schema). */
const target = fileURLToPath(new URL('../../../schema/isolane.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);

const readmeFile = fileURLToPath(new URL('../../../README.md', import.meta.url));
const readme = readFileSync(readmeFile, 'utf8');
const updated = readme.replace(/(<!-- config-reference:start[^\n]*-->\n)[\s\S]*?(\n<!-- config-reference:end -->)/, (_, start: string, end: string) => `${start}${configReference()}${end}`);
writeFileSync(readmeFile, updated);
console.log(`wrote the configuration reference in ${readmeFile}`);
