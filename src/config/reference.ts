import { configJsonSchema } from './json-schema.js';

interface SchemaNode {
  readonly description?: string;
  readonly default?: unknown;
  readonly properties?: Record<string, SchemaNode>;
  /** A map's entries (`workloads.<name>`). */
  readonly additionalProperties?: SchemaNode | boolean;
  /** A list's items (`policy[]`). */
  readonly items?: SchemaNode;
  /** Alternatives told apart by a constant (`database.provider`). */
  readonly oneOf?: readonly SchemaNode[];
  readonly const?: unknown;
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
      if (node.oneOf) walk(mergeAlternatives(node.oneOf), `${prefix}${key}.`);
    }
  };
  walk((configJsonSchema() as SchemaNode).properties ?? {}, '');
  return rows.join('\n');
}

/**
 * One row per key of a union of objects told apart by a constant (`provider: postgres`): the
 * constant's row joins each alternative's description; a key only some alternatives have says
 * which.
 */
function mergeAlternatives(alternatives: readonly SchemaNode[]): Record<string, SchemaNode> {
  const merged: Record<string, SchemaNode> = {};
  const holders: Record<string, string[]> = {};
  for (const alt of alternatives) {
    const props = Object.entries(alt.properties ?? {});
    const tag = props.map(([, p]) => p.const).find((c) => c !== undefined);
    for (const [key, p] of props) {
      if (p.const !== undefined) {
        merged[key] = { description: [merged[key]?.description, p.description].filter(Boolean).join(' ') };
        continue;
      }
      merged[key] ??= p;
      (holders[key] ??= []).push(String(tag));
    }
  }
  for (const [key, tags] of Object.entries(holders)) {
    const node = merged[key];
    if (node && tags.length < alternatives.length) merged[key] = { ...node, description: `(${tags.join(', ')}) ${node.description ?? ''}`.trim() };
  }
  return merged;
}
