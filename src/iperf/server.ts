/**
 * The iperf3 server, built to face the internet: one test at a time (others get ACCESS_DENIED),
 * a deadline on every control read, capped JSON lengths, checked cookies and parameters, a cap on
 * half-open connections, watchdogs on idle data streams, and it keeps serving after any client.
 * Silent connections (no cookie yet, or a cookie and no parameters) cannot lock real clients out:
 * each source holds a few at most, the oldest silent one is evicted to make room, and a test that
 * sits in the parameter exchange past a grace period gives way to the next client with a cookie.
 */
import net from 'node:net';
import { DEFAULT_PORT } from './constants.js';
import type { TestSettings } from './params.js';
import type { IperfJson } from './report.js';
import { listenError } from '../lib/listen-error.js';
import type { AuthConfig } from './auth.js';
import { onConnection } from './server/accept.js';
import { ServerState } from './server/state.js';

export interface ServerOptions {
  port?: number;
  /** Address to bind; default all addresses (IPv6 dual-stack where available). */
  host?: string;
  /** Interval report period (-i) in seconds; 0 disables. Default 1. */
  interval?: number;
  /** Serve one test, then close (-1). */
  oneOff?: boolean;
  /** Server-side -J: results as JSON, and server_output_json for --get-server-output clients. */
  json?: boolean;
  /** Deadline for each control message during setup and results exchange (ms). Default 10 s. */
  controlTimeoutMs?: number;
  /** A test whose data streams move nothing for this long is ended (ms). Default 30 s. */
  dataIdleTimeoutMs?: number;
  /** Longest test accepted, seconds (time and, for -n/-k tests, wall clock). Default 3600. */
  maxDuration?: number;
  maxParallel?: number;
  /** Total bit/s a client may request; 0 = no limit. */
  maxBitrate?: number;
  /** Connections still sending their cookie at once; beyond it the busiest source's oldest is evicted. Default 32. */
  maxPending?: number;
  /** Connections still sending their cookie from one source (IPv4 address or IPv6 /64). Default 4. */
  maxPendingPerSource?: number;
  /** A test still waiting for its parameters this long (ms) gives way to another client's cookie. Default 2 s. */
  paramGraceMs?: number;
  /** iperf3's RSA authentication (--rsa-private-key-path, --authorized-users-path): tests without valid credentials are refused. */
  auth?: AuthConfig;
  onEvent?: (e: ServerEvent) => void;
}

export type ServerEvent =
  | { type: 'listening'; port: number; test: number }
  | { type: 'line'; line: string }
  | { type: 'result'; json: IperfJson; settings: TestSettings; peer: string }
  | { type: 'rejected'; peer: string; reason: string }
  /** A client that failed authentication (refused as iperf3 refuses it: "test authorization failed"). */
  | { type: 'auth-failed'; peer: string; reason: string };

export interface IperfServer {
  port: number;
  /** Tests completed (with results exchanged). */
  readonly completed: number;
  readonly busy: boolean;
  close(): Promise<void>;
}

/**
 * The listener: each connection goes through server/accept.ts (admission, cookie), and a new test
 * through server/test.ts, one stage per iperf3 protocol phase.
 */
export async function startServer(opts: ServerOptions = {}): Promise<IperfServer> {
  // UDP streams arrive on the same port: with no -B the TCP listener is dual-stack, so the UDP
  // one is a dual-stack IPv6 socket too (IPv4 peers appear as ::ffff:a.b.c.d).
  const family: 4 | 6 = opts.host ? (net.isIPv6(opts.host) ? 6 : 4) : 6;
  const srv = new ServerState(opts, family);
  const server = srv.server;
  server.on('connection', (sock) => onConnection(srv, sock));
  await new Promise<void>((resolve, rejectP) => {
    server.once('error', (e) =>
      rejectP(
        listenError(
          e,
          'iperf server',
          opts.host,
          opts.port ?? DEFAULT_PORT,
          'choose another port with -p (and address with -B), or stop the program holding it (ss -ltnp)',
        ),
      ),
    );
    server.listen({ port: opts.port ?? DEFAULT_PORT, host: opts.host }, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', () => {});
  srv.port = (server.address() as net.AddressInfo).port;
  srv.banner();

  return {
    port: srv.port,
    get completed() {
      return srv.completed;
    },
    get busy() {
      return srv.active !== null;
    },
    close: () => srv.close(),
  };
}
