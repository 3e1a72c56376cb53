import path from 'node:path';
import type { Strategy } from '../../strategies/strategy.js';
import type { LaneRecord } from '../engine/journal.js';
import type { Project } from '../engine/project.js';
import { IsolaneError } from '../errors.js';
import { execEnv } from '../resources/env/exec-env.js';
import { excludeInLane } from '../resources/env/exclude.js';
import { IN_LANE_DIR, serviceFile } from './paths.js';
import { groupMembers, isOurProcess, parseStat, type ProcStat } from '../process/proc.js';
import { spawnDetached, type Detached } from './spawn.js';
import { confineArgv } from '../limits/confine.js';

/**
 * Where a lane's services run and how they are reached: on this host, or inside the lane's
 * container. Everything that starts, looks at or signals a service process goes through one.
 */
export interface ServiceRunner {
  readonly where: 'host' | 'container';
  /** The host path of the service's log. */
  logFile(service: string): string;
  start(service: string, argv: readonly string[], extraEnv: Readonly<Record<string, string>>): Promise<Detached>;
  alive(pid: number, startTime: string): Promise<boolean>;
  /** How many processes of the service's group are left. */
  members(pid: number, startTime: string): Promise<number>;
  /** Signals the whole group. */
  signal(pid: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export function runnerFor(project: Project, record: LaneRecord, strategy: Strategy): ServiceRunner {
  return strategy.runsOnHost ? hostRunner(project, record, strategy) : containerRunner(project, record, strategy);
}

function hostRunner(project: Project, record: LaneRecord, strategy: Strategy): ServiceRunner {
  return {
    where: 'host',
    logFile: (service) => serviceFile(project.stateDir, record.lane, service, 'log'),
    async start(service, argv, extraEnv) {
      const { env } = execEnv(project, record, strategy, extraEnv);
      // In the lane's cgroups when isolane.yaml caps host lanes (placed before it runs; refused, never uncapped, when it cannot be).
      const confined = await confineArgv(project, record, argv);
      return spawnDetached({ argv: confined, cwd: strategy.workdir ?? record.path, env, logFile: serviceFile(project.stateDir, record.lane, service, 'log') });
    },
    alive: isOurProcess,
    members: async (pid, startTime) => (await groupMembers(pid, startTime)).length,
    signal(pid, signal) {
      try {
        process.kill(-pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
      return Promise.resolve();
    },
  };
}

/**
 * Inside the container, through the strategy's exec (docker exec): a fixed wrapper backgrounds
 * the service under setsid with its output appended to a log in the lane's checkout (the only
 * place both sides see, ignored by git in the lane) and prints its pid. The argv is passed as
 * separate arguments to the wrapper, never put into its text.
 */
const START_WRAPPER = 'l=$1; shift; mkdir -p "${l%/*}" && setsid "$@" >>"$l" 2>&1 </dev/null & echo $!';

function containerRunner(project: Project, record: LaneRecord, strategy: Strategy): ServiceRunner {
  const inside = strategy.workdir ?? record.path;
  const exec = async (argv: readonly string[]): Promise<string> => {
    const { env, laneEnv } = execEnv(project, record, strategy);
    const r = await strategy.exec(record, argv, { env, laneEnv, stdio: 'pipe' });
    if (r.exitCode !== 0) throw new IsolaneError('DOCKER_FAILED', `${argv[0] ?? ''} in the container of lane ${record.lane} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(-500)}`);
    return r.stdout;
  };
  const stats = async (): Promise<ProcStat[]> => {
    const out = await exec(['sh', '-c', 'cat /proc/[0-9]*/stat 2>/dev/null; true']);
    return out.split('\n').map(parseStat).filter((s): s is ProcStat => s !== undefined);
  };
  return {
    where: 'container',
    logFile: (service) => path.join(record.path, IN_LANE_DIR, `${service}.log`),
    async start(service, argv, extraEnv) {
      await excludeInLane(project, record.path, [IN_LANE_DIR]);
      const { env, laneEnv } = execEnv(project, record, strategy, extraEnv);
      const r = await strategy.exec(record, ['sh', '-c', START_WRAPPER, 'sh', `${inside}/${IN_LANE_DIR}/${service}.log`, ...argv], { env, laneEnv, stdio: 'pipe' });
      const pid = Number(r.stdout.trim());
      if (r.exitCode !== 0 || !Number.isInteger(pid) || pid <= 0) {
        throw new IsolaneError('DOCKER_FAILED', `could not start service ${service} in the container of lane ${record.lane}: ${r.stderr.trim().slice(-500) || `exit ${r.exitCode}`}`);
      }
      const stat = (await stats()).find((s) => s.pid === pid);
      return { pid, startTime: stat?.startTime ?? '0' };
    },
    async alive(pid, startTime) {
      const s = (await stats()).find((x) => x.pid === pid);
      return s !== undefined && s.state !== 'Z' && s.startTime === startTime;
    },
    async members(pid, startTime) {
      return (await stats()).filter((s) => s.pgrp === pid && s.state !== 'Z' && BigInt(s.startTime) >= BigInt(startTime)).length;
    },
    async signal(pid, signal) {
      await exec(['sh', '-c', 'kill -s "$1" -- "-$2" 2>/dev/null; true', 'sh', signal.slice(3), String(pid)]);
    },
  };
}
