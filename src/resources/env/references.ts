/**
 * References in isolane.yaml's `env.vars` values: `${lane}`, `${branch}`, `${path}`,
 * `${port.<name>}`, `${db.url}`, `${db.name}`; `$$` is a literal `$`. Pure: the config schema
 * checks them at load, the lane's environment expands them.
 */

export type Reference = { readonly kind: 'lane' | 'branch' | 'path' | 'db.url' | 'db.name' } | { readonly kind: 'port'; readonly name: string };

export type Part = { readonly text: string } | { readonly ref: Reference; readonly source: string };

const SIMPLE = new Set(['lane', 'branch', 'path', 'db.url', 'db.name']);
const PORT_REF = /^port\.([a-z][a-z0-9_]{0,29})$/;

/** Splits a value into text and references; a malformed one is a message. */
export function parseValue(value: string): Part[] | string {
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== '$') {
      text += c;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      text += '$';
      i++;
      continue;
    }
    if (next !== '{') {
      text += c;
      continue;
    }
    const end = value.indexOf('}', i + 2);
    if (end < 0) return `unclosed reference at "${value.slice(i, i + 20)}" (write $$ for a literal $)`;
    const inner = value.slice(i + 2, end);
    const port = PORT_REF.exec(inner);
    const ref: Reference | undefined = port?.[1] !== undefined ? { kind: 'port', name: port[1] } : SIMPLE.has(inner) ? { kind: inner as 'lane' } : undefined;
    if (!ref) return `unknown reference \${${inner}}: expected \${lane}, \${branch}, \${path}, \${port.<name>}, \${db.url} or \${db.name} (write $$ for a literal $)`;
    if (text) parts.push({ text });
    text = '';
    parts.push({ ref, source: `\${${inner}}` });
    i = end;
  }
  if (text) parts.push({ text });
  return parts;
}

/** What a config provides for references to point at. */
export interface ReferenceTargets {
  readonly portNames: readonly string[];
  readonly database: boolean;
}

/** Why `value` cannot be expanded with these targets, or undefined when it can. */
export function referenceProblem(value: string, targets: ReferenceTargets): string | undefined {
  const parts = parseValue(value);
  if (typeof parts === 'string') return parts;
  for (const part of parts) {
    if (!('ref' in part)) continue;
    const { ref } = part;
    if (ref.kind === 'port' && !targets.portNames.includes(ref.name)) {
      return targets.portNames.length === 0
        ? `${part.source}: no ports are declared (add ports.names)`
        : `${part.source}: unknown port name ${ref.name} (ports.names has ${targets.portNames.join(', ')})`;
    }
    if ((ref.kind === 'db.url' || ref.kind === 'db.name') && !targets.database) return `${part.source}: no database is declared (add a database section)`;
  }
  return undefined;
}

/** Expands a value; `lookup` answers each reference (it throws when the lane lacks one). */
export function expandValue(value: string, lookup: (ref: Reference, source: string) => string): string {
  const parts = parseValue(value);
  if (typeof parts === 'string') throw new Error(parts);
  return parts.map((p) => ('ref' in p ? lookup(p.ref, p.source) : p.text)).join('');
}
