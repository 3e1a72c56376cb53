import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { formatProblem, parseConfigText } from '../../src/config/parse.js';
import { configTemplate } from '../../src/config/template.js';

const problems = (text: string): string[] => parseConfigText(text, '/repo/isolane.yaml').problems.map(formatProblem);

describe('isolane.yaml', () => {
  it('gives every default for an empty file', () => {
    expect(parseConfigText('', 'isolane.yaml').config).toMatchObject({ branchPrefix: 'isolane/', lanes: { root: '../{repo}.lanes' }, strategy: 'worktree', clone: { mode: 'full' }, container: { image: 'isolane/base:bookworm', network: 'bridge', ports: [], limits: { memory: '2g', cpus: 2, pids: 512 } } });
  });

  it('names file, line, column and key path of a wrong type', () => {
    expect(problems('base: main\nlanes:\n  root: 5\n')).toEqual(['isolane.yaml:3:3 lanes.root: expected a string']);
  });

  it('reports unknown keys with a did-you-mean, at the key', () => {
    expect(problems('branchPrefx: a/\nlanes:\n  rot: x\n')).toEqual([
      'isolane.yaml:1:1 branchPrefx: unknown key (did you mean branchPrefix?)',
      'isolane.yaml:3:3 lanes.rot: unknown key (did you mean root?)',
    ]);
    expect(problems('zzzzzz: 1\n')).toEqual(['isolane.yaml:1:1 zzzzzz: unknown key']);
  });

  it('checks services: a run command, a declared port, a valid name, duration and regex', () => {
    expect(problems('services:\n  web: {}\n')[0]).toMatch(/^isolane\.yaml:\d+:\d+ services\.web\.run: expected an array/);
    expect(problems('ports:\n  names: [web]\nservices:\n  web:\n    run: [npm, run, dev]\n    port: api\n')[0]).toMatch(/services\.web\.port: "api" is not a port of ports\.names \(web\)/);
    expect(problems('services:\n  Web:\n    run: [x]\n')[0]).toMatch(/expected a service name/);
    expect(problems('services:\n  web:\n    run: [x]\n    ready: { log: "(", timeout: 5s }\n')[0]).toMatch(/not a regular expression/);
    expect(problems('ports:\n  names: [web]\nservices:\n  web:\n    run: [x]\n    port: web\n    ready: { http: /, timeout: soon }\n')[0]).toMatch(/expected a duration/);
    expect(problems('services:\n  web:\n    run: [x]\n    ready: { port: true }\n')[0]).toMatch(/needs the service's port/);
    expect(problems('services:\n  web:\n    run: "npm run dev"\n')[0]).toMatch(/services\.web\.run: /);
    expect(problems('ports:\n  names: [web]\nservices:\n  web:\n    run: [npm, run, dev]\n    port: web\n    ready: { http: /health, timeout: 2m }\n    restart: always\n')).toEqual([]);
  });

  it('rejects unknown strategies and unsafe prefixes', () => {
    expect(problems('strategy: kube\n')).toEqual(['isolane.yaml:1:1 strategy: expected one of: worktree, clone, container, snapshot, auto']);
    expect(problems('clone:\n  mode: shallow\n')).toEqual(['isolane.yaml:2:3 clone.mode: expected one of: full, reference, blobless']);
    expect(problems('branchPrefix: "a..b/"\n')[0]).toMatch(/branchPrefix: expected ref-safe/);
    expect(problems('branchPrefix: "--upload-pack=x/"\n')[0]).toMatch(/branchPrefix: expected ref-safe/);
    expect(problems('base: "-x"\n')[0]).toMatch(/base: expected a branch name/);
  });

  it('reports YAML syntax errors with a position', () => {
    expect(problems('lanes: [\n')[0]).toMatch(/^isolane\.yaml:\d+:\d+ /);
    expect(problems('a: 1\na: 2\n')[0]).toMatch(/^isolane\.yaml:2:1 .*[Mm]ap keys must be unique/);
  });

  it('commits a JSON Schema that matches the schema in code', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../schema/isolane.schema.json', import.meta.url), 'utf8'));
    expect(configJsonSchema()).toEqual(committed);
  });

  it('writes an init template that parses to the defaults and documents every key', () => {
    const text = configTemplate();
    const parsed = parseConfigText(text, 'isolane.yaml');
    expect(parsed.problems).toEqual([]);
    expect(parsed.config).toEqual(parseConfigText('', 'isolane.yaml').config);
    for (const key of ['base', 'branchPrefix', 'lanes', 'root', 'strategy', 'clone', 'mode', 'container', 'image', 'network', 'ports', 'limits', 'memory', 'cpus', 'pids']) expect(text).toMatch(new RegExp(`^\\s*#? ?${key}:`, 'm'));
  });
});

describe('README', () => {
  it('has the configuration reference generated from the schema', async () => {
    const { configReference } = await import('../../src/config/reference.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = /<!-- config-reference:start[^\n]*-->\n([\s\S]*?)\n<!-- config-reference:end -->/.exec(readme)?.[1];
    expect(section).toBe(configReference());
  });
});
