import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/parse.js';
import { configuredEnv } from '../../src/docker/host-reach.js';
import { mountTargetProblem } from '../../src/docker/mount-target.js';
import { proxyEnv } from '../../src/docker/proxy.js';

const problems = (yaml: string): string[] => parseConfigText(yaml, 'isolane.yaml').problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);

describe('container mount targets', () => {
  it.each(['/data', '/opt/tools', '/etc/npmrc.d/team', '/usr/local/share/ca-certificates/team.crt', '/tmp/cache', '/home/agent/.cache'])('%s is a fine target', (t) => {
    expect(mountTargetProblem(t)).toBeUndefined();
  });
  it.each([
    ['data', 'absolute'],
    ['/data/', 'plain'],
    ['/data/../etc', 'plain'],
    ['//data', 'plain'],
    ['/', "hide the image's /"],
    ['/etc', "hide the image's /etc"],
    ['/usr', "hide the image's /usr"],
    ['/tmp', "hide the image's /tmp"],
    ['/workspace', 'overlaps /workspace'],
    ['/workspace/node_modules', 'overlaps /workspace'],
    ['/etc/isolane', 'overlaps /etc/isolane/ca'],
    ['/proc/sys', 'overlaps /proc'],
    ['/dev/shm', 'overlaps /dev'],
  ])('%s is refused (%s)', (t, why) => {
    expect(mountTargetProblem(t)).toContain(why);
  });
});

describe('container settings in isolane.yaml', () => {
  it('defaults: the host CA bundle and proxies, no env, no mounts', () => {
    expect(parseConfigText('', 'isolane.yaml').config?.container).toMatchObject({ env: {}, mounts: [], caBundle: 'auto', proxy: 'host' });
  });

  it('env values are any scalar, passed as strings; mounts are read-only by default', () => {
    const { config } = parseConfigText('container:\n  env:\n    DEBUG: 1\n    FLAG: true\n    NAME: x y\n  mounts:\n    - source: tools\n      target: /opt/tools\n', 'isolane.yaml');
    expect(configuredEnv(config!.container.env)).toEqual({ DEBUG: '1', FLAG: 'true', NAME: 'x y' });
    expect(config!.container.mounts).toEqual([{ source: 'tools', target: '/opt/tools', readOnly: true }]);
  });

  it('names each problem with line, column and key', () => {
    expect(problems('container:\n  env:\n    9LIVES: x\n    ISOLANE_LANE: y\n    GIT_DIR: /elsewhere\n    GIT_AUTHOR_NAME: ok\n    GIT_SSH_COMMAND: ok\n')).toEqual([
      '3:5 container.env.9LIVES: expected a variable name (letters, digits and _, not starting with a digit)',
      "4:5 container.env.ISOLANE_LANE: ISOLANE_* variables are isolane's own",
      expect.stringMatching(/^5:5 container\.env\.GIT_DIR: would change what git in the lane reads/),
    ]);
    expect(problems('container:\n  mounts:\n    - source: a\n      target: /a\n    - source: b\n      target: /a/b\n')).toEqual(['6:7 container.mounts.1.target: overlaps the target of mount 0 (/a)']);
    expect(problems('container:\n  mounts:\n    - source: a\n      target: /etc\n      rw: true\n')).toEqual([
      "4:7 container.mounts.0.target: would hide the image's /etc; mount below it instead (such as /etc/<name>)",
      '5:7 container.mounts.0.rw: unknown key',
    ]);
    expect(problems('container:\n  proxy: inherit\n')).toEqual(['2:3 container.proxy: expected one of: host, off']);
  });
});

describe('proxy variables', () => {
  const host = { HTTPS_PROXY: 'http://127.0.0.1:3128', http_proxy: 'proxy.corp:8080', NO_PROXY: 'localhost', ALL_PROXY: 'socks5://x', PATH: '/bin' };
  it('host: the six proxy variables as they are, naming those on the loopback', () => {
    expect(proxyEnv('host', host)).toEqual({ env: { HTTPS_PROXY: 'http://127.0.0.1:3128', http_proxy: 'proxy.corp:8080', NO_PROXY: 'localhost' }, unreachable: ['HTTPS_PROXY=http://127.0.0.1:3128'] });
    expect(proxyEnv('host', { https_proxy: 'http://localhost:1', HTTP_PROXY: 'http://[::1]:2' }).unreachable).toEqual(['HTTP_PROXY=http://[::1]:2', 'https_proxy=http://localhost:1']);
  });
  it('off: none', () => {
    expect(proxyEnv('off', host)).toEqual({ env: {}, unreachable: [] });
  });
});
