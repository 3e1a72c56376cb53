import { configJsonSchema } from './json-schema.js';

interface SchemaNode {
  readonly description?: string;
  readonly default?: unknown;
  readonly properties?: Record<string, SchemaNode>;
  /** A map's entries (`workloads.<name>`). */
  readonly additionalProperties?: SchemaNode | boolean;
  /** A list's items (`policy[]`). */
  readonly items?: SchemaNode;
}

const cell = (v: unknown): string => (v === undefined ? '(none)' : `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``);

/** The README's configuration table, generated from the schema so the two cannot drift. */
export function configReference(): string {
  const rows: string[] = ['| key | default | description |', '|---|---|---|'];
  const walk = (props: Record<string, SchemaNode>, prefix: string): void => {
    for (const [key, node] of Object.entries(props)) {
      rows.push(`| \`${prefix}${key}\` | ${cell(node.default)} | ${node.description ?? ''} |`);
      if (node.properties) walk(node.properties, `${prefix}${key}.`);
      const entry = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
      if (entry?.properties) walk(entry.properties, `${prefix}${key}.<name>.`);
      if (node.items?.properties) walk(node.items.properties, `${prefix}${key}[].`);
    }
  };
  walk((configJsonSchema() as SchemaNode).properties ?? {}, '');
  return rows.join('\n');
}
