/** hostops.yaml: schema, loading with field-naming errors, and the implicit defaults. */
export {
  configSchema,
  type Config,
  type ConfigInput,
  type TargetConfig,
  type FeedConfig,
  type PeerConfig,
  type SlaConfig,
} from './schema.js';
export { parseConfig, loadConfig, formatPath, type ConfigIssue } from './load.js';
export { defaultGateway, defaultSite, resolveConfig, type ResolvedConfig } from './defaults.js';
export {
  parseDuration,
  parseRttBound,
  parseLossBound,
  meets,
  formatBound,
  type Bound,
} from './units.js';
export { alertsSchema, type AlertsConfig, type AlertRulesConfig } from './alerts-schema.js';
export {
  probeSchema,
  probesSchema,
  PROBE_PHASES,
  type ProbeConfig,
  type ProbeSlaConfig,
} from './probes-schema.js';
