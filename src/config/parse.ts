import path from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type * as z from 'zod';
import { whereIn, type KeyPositions, type Where } from './defaults.js';
import { configSchema, RESERVED_SECTIONS, type IsolaneConfig } from './schema.js';

/**
 * isolane.yaml's text to a config, or to problems with their positions. Loaded only when there
 * is a file to parse (load.ts): the YAML parser and the schema are costly to load.
 */
export interface ConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted key path, e.g. `lanes.root`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${path.basename(p.file)}:${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Pure: YAML text to config or a list of problems with positions. */
export function parseConfigText(text: string, file: string): { config?: IsolaneConfig; problems: ConfigProblem[]; where?: Where; positions?: KeyPositions } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, keyPath: string, message: string): ConfigProblem => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col, path: keyPath, message };
  };
  if (doc.errors.length > 0) {
    return { problems: doc.errors.map((e) => at(e.pos[0], '', e.message.split('\n')[0] ?? e.message)) };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // yaml refuses a document whose aliases expand without bound (a "billion laughs").
    let offset = 0;
    visit(doc, { Alias: (_, node) => ((offset = node.range?.[0] ?? 0), visit.BREAK) });
    return { problems: [at(offset, '', `${e instanceof Error ? e.message : String(e)}; use fewer aliases`)] };
  }
  const parsed = configSchema.safeParse(value);
  if (parsed.success) {
    const positions = keyPositions(doc, lines);
    return { config: parsed.data, problems: [], where: whereIn(file, positions), positions };
  }
  const problems = parsed.error.issues.flatMap((issue) => describeIssue(doc, issue, at));
  return { problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) };
}

type At = (offset: number, keyPath: string, message: string) => ConfigProblem;

function describeIssue(doc: Document, issue: z.core.$ZodIssue, at: At): ConfigProblem[] {
  const keys = issue.path.map(String);
  const node = doc.getIn(keys, true) as Node | undefined;
  const parent = keys.length > 0 ? doc.getIn(keys.slice(0, -1), true) : undefined;
  // Point at the key of the offending value (`lanes.root` -> the `root:`), as editors do.
  const offset = (parent && keys.length > 0 ? keyNodeOffset(parent, keys[keys.length - 1] ?? '') : undefined) ?? node?.range?.[0] ?? 0;
  const dotted = keys.join('.');
  if (issue.code === 'unrecognized_keys') {
    const container = keys.length === 0 ? doc.contents : node;
    const allowed = knownKeys(keys);
    return issue.keys.map((key) => {
      const keyPath = [...keys, key].join('.');
      const keyOffset = keyNodeOffset(container, key) ?? offset;
      if (keys.length === 0 && RESERVED_SECTIONS.includes(key)) {
        return at(keyOffset, keyPath, 'this section is reserved for a later version of isolane; remove it');
      }
      const guess = allowed.length > 0 ? closest(key, allowed) : undefined;
      const hint = guess !== undefined && distance(key, guess) <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean ${guess}?)` : '';
      return at(keyOffset, keyPath, `unknown key${hint}`);
    });
  }
  return [at(offset, dotted, issueMessage(issue))];
}

function issueMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'object' || issue.expected === 'array' ? 'an' : 'a'} ${issue.expected}`;
    case 'invalid_value':
      return `expected one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** Where each key of the document is, by its path (map keys; sequence items by index). */
function keyPositions(doc: Document, lines: LineCounter): KeyPositions {
  const out: Array<readonly [string, number, number]> = [];
  const walk = (node: unknown, keys: readonly string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key) || typeof pair.key.value !== 'string') continue;
        const path = [...keys, pair.key.value];
        const offset = pair.key.range?.[0];
        if (offset !== undefined) {
          const { line, col } = lines.linePos(offset);
          out.push([path.join('\0'), line, col]);
        }
        walk(pair.value, path);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...keys, String(i)]));
    }
  };
  walk(doc.contents, []);
  return out;
}

function keyNodeOffset(container: unknown, key: string): number | undefined {
  if (!isMap(container)) return undefined;
  const pair = container.items.find((item) => isScalar(item.key) && item.key.value === key);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

/** The keys the schema allows at an object path, for did-you-mean. */
function knownKeys(keys: readonly string[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const key of keys) {
    const shape = objectShape(schema);
    const next = shape?.[key];
    if (!next) return [];
    schema = next;
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: z.ZodType = schema;
  // Unwrap .default() / .optional() wrappers down to the object.
  for (let i = 0; i < 4; i++) {
    const def = s.def as { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> };
    if (def.type === 'object') return def.shape;
    if (!def.innerType) return undefined;
    s = def.innerType;
  }
  return undefined;
}
