/** Library API of the mailq module (see docs/mailq.md): `hostops serve` and the CLI call these. */
export type { QueueMessage, Recipient, SpoolEntry } from './types.js';
export { locatePaths, findExim, rotatedLogs, type Paths, type LocateOptions } from './paths.js';
export { readQueue, readQueueChunks, countQueue, type ReadQueueOptions } from './spool-read.js';
export { scanSpool, countSpool } from './spool-scan.js';
export { countFromIndex, IndexBuilder, listFromIndex } from './spool-index.js';
export { INDEX_VERSION } from './spool-index-check.js';
export { indexPath, indexDir } from './spool-index-file.js';
export { parseHeaderFile } from './spool-parse.js';
export { formatBp, formatAge, formatSize } from './bp-format.js';
export {
  FORMATS,
  bpText,
  idLines,
  ndjsonLines,
  briefLines,
  countOnly,
  messageRecords,
  renderMessages,
  type Format,
  type FormatName,
  type Renderer,
} from './format/index.js';
export {
  compileSelection,
  isEmptySelection,
  escapeRegex,
  scriptOf,
  scriptDomainOf,
  type Selection,
} from './select.js';
export { isMessageId, assertMessageIds, idTime } from './ids.js';
export { toJsonMessage } from './json.js';
export { parseDuration, parseSize, parseTimePoint } from './duration.js';
export {
  runAction,
  classify,
  type ActionName,
  type ActionResult,
  type ActionStatus,
  type ActionOptions,
} from './actions.js';
export { auditPath, DEFAULT_AUDIT_LOG } from './audit.js';
export {
  summarize,
  formatSummary,
  formatVolume,
  type QueueSummary,
  type DomainRow,
  type TopRow,
} from './summary.js';
export { showMessage, type ShownMessage } from './show.js';
export {
  sources,
  logStamp,
  ARGUMENTS_HINT,
  type SourcesReport,
  type SourcesOptions,
  type SourceRow,
  type ScriptRow,
} from './sources.js';
export { formatSources } from './sources-format.js';
export { MainlogScanner, type ScanState, type ScanOptions } from './mainlog-scan.js';
export { watchQueue, type WatchSnapshot, type WatchOptions } from './watch.js';
