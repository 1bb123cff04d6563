/** Library API of the ddos module: reflection-attack detection in pcap/pcapng captures. */
export { analyzeCapture, DEFAULTS, type AnalyzeOptions } from './analyze.js';
export type { AlertEvent, AttackEndEvent, WatchEvent, Thresholds } from './analyzer.js';
export type { DdosReport, Victim, AttackVector, TopReflector, UdpConversation } from './report.js';
export { REFLECTORS, type Reflector } from './protocols.js';
export { CaptureReader, type PacketSink, type CaptureFormat } from './capture-reader.js';
