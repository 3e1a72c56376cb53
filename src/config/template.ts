import { configJsonSchema } from './json-schema.js';

interface SchemaNode {
  readonly description?: string;
  readonly default?: unknown;
  readonly type?: string;
  readonly examples?: readonly unknown[];
  readonly properties?: Record<string, SchemaNode>;
}

function wrap(text: string, indent: string, width = 96): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + 2 + line.length + 1 + word.length > width) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(`${indent}# ${line}`);
  return lines;
}

const scalar = (v: unknown): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v as string | number | boolean | undefined ?? ''));

/** A section that is off unless written (no default) is shown commented out, as an example. */
const commentOut = (lines: string[]): string[] => lines.map((l) => (l.trimStart().startsWith('#') ? l : l.replace(/^(\s*)/, '$1# ')));

function emit(props: Record<string, SchemaNode>, indent: string): string[] {
  const out: string[] = [];
  for (const [key, node] of Object.entries(props)) {
    if (out.length > 0 && indent === '') out.push('');
    if (node.description) out.push(...wrap(node.description, indent));
    if (node.type === 'object' && node.properties && Object.keys(node.properties).length === 0) {
      out.push(`${indent}# ${key}: {}`); // a section with nothing to set yet
    } else if (node.type === 'object' && node.properties) {
      const body = [`${indent}${key}:`, ...emit(node.properties, `${indent}  `)];
      out.push(...(node.default === undefined && indent === '' ? commentOut(body) : body));
    } else if (node.default === undefined) {
      out.push(`${indent}# ${key}: ${scalar(node.examples?.[0])}`);
    } else {
      out.push(`${indent}${key}: ${scalar(node.default)}`);
    }
  }
  return out;
}

/** The commented isolane.yaml that `isolane init` writes: every key, its description and default. */
export function configTemplate(): string {
  const schema = configJsonSchema() as SchemaNode;
  return [
    '# yaml-language-server: $schema=./node_modules/isolane/schema/isolane.schema.json',
    '# isolane settings for this repository. Every key is optional; the values shown are the defaults.',
    '# `npx isolane schema` prints the JSON Schema.',
    '',
    ...emit(schema.properties ?? {}, ''),
    '',
  ].join('\n');
}
