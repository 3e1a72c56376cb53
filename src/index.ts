/** isolane's library API; the CLI is a thin layer over it. */
export { Isolane, Lane } from './engine/isolane.js';
export { createContext, silentLogger, type Context, type Logger } from './context.js';
export { IsolaneError, GitError, WouldLoseWorkError, isIsolaneError, type ErrorCode } from './errors.js';
export type { UpOptions } from './engine/up.js';
export type { DownOptions, DownReport } from './engine/down.js';
export type { Loss } from './engine/loss.js';
export type { UnsavedCommit } from './git/unsaved.js';
export type { LaneSummary, LaneStatus } from './engine/list.js';
export type { RunOptions } from './engine/run.js';
export type { SyncOptions, SyncReport, SyncBase, LaneSync, LaneSyncResult } from './engine/sync.js';
export type { LaneRecord } from './engine/journal.js';
export type { IsolaneConfig, IsolaneConfigInput } from './config/schema.js';
export { configJsonSchema } from './config/json-schema.js';
export { parseConfigText, loadConfig, CONFIG_FILE, type ConfigProblem } from './config/load.js';
export type { Strategy, LaneSpec, LaneAccess, ExecResult, ProbeResult } from '../strategies/strategy.js';
export { LANE_NAME } from './git/names.js';
