// keepalive-spec as a library: run the suites from code, list the scenarios,
// report in any of the CLI's formats. docs/api.md documents every name here.

export type {
  Area,
  Finding,
  Level,
  Outcome,
  Result,
  Role,
  RunInfo,
  ScenarioInfo,
  TimingConfig,
  WireEvent,
} from '../harness/model.js';
export { AREA_KEYS, AREAS } from '../harness/model.js';
export type { Reporter } from '../harness/reporter.js';
export type {
  ClientTarget,
  ProxyTarget,
  ProxyTargetOptions,
  Resources,
  RunningTarget,
  ServerTarget,
  ServerTargetOptions,
} from '../harness/targets.js';
export { VERSION } from '../harness/version.js';
export { type ConsoleOptions, ConsoleReporter } from '../reports/console.js';
export { htmlReporter, jsonReporter, junitReporter } from '../reports/files.js';
export { githubReporter } from '../reports/github.js';
export {
  type Expectation,
  readExpectations,
  updatedExpectations,
  writeExpectations,
} from './expect-file.js';
export {
  type ClientSuiteOptions,
  type ProxySuiteOptions,
  runClientSuite,
  runProxySuite,
  runServerSuite,
  type ServerSuiteOptions,
  type SuiteOptions,
  type SuiteRun,
  TargetError,
  UsageError,
} from './run.js';
export { listScenarios, type ScenarioSelection } from './scenarios.js';
