/**
 * Throughput: an iperf3-compatible client and server (wire protocol 3.12) and an iperf 2 mode.
 * Functions return data and never print; src/cli/iperf.ts renders text or JSON.
 */
export { runClient, IperfError, type ClientOptions, type ClientEvent } from './client.js';
export { startServer, type ServerOptions, type ServerEvent, type IperfServer } from './server.js';
export type { IperfJson } from './report.js';
export type { TestSettings } from './params.js';
export { formatUnit, parseSize } from './units.js';
export { connectingLines, connectedLines, intervalLines, summaryLines, doneLines } from './text.js';
