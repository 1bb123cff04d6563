/** Service probes beyond ICMP: TCP connect, HTTP(S), DNS, SMTP. Each returns data; the CLI formats it. */
export {
  probeTcp,
  tcpConnectOnce,
  type TcpResult,
  type TcpAttempt,
  type TcpOptions,
} from './tcp.js';
export {
  probeHttp,
  type HttpResult,
  type HttpOptions,
  type HttpTimeline,
  type HttpPhases,
} from './http.js';
export { probeDns, type DnsResult, type DnsOptions } from './dns.js';
export { probeSmtp, type SmtpResult, type SmtpOptions } from './smtp.js';
export { type TlsInfo, type CertInfo } from './tls-info.js';
export { parseHostPort, parseDuration, summarize, type ProbeLog } from './common.js';
