/**
 * First stage of every connection: admit it while it is silent, hear its 37-byte cookie, then
 * hand it to the running test as a data stream, start a new test with it, or refuse it.
 */
import type net from 'node:net';
import { sourceKey, type SilentConn } from '../admission.js';
import { COOKIE_SIZE } from '../constants.js';
import { isPlausibleCookie } from '../cookie.js';
import { ControlChannel } from '../ctrl.js';
import type { ServerState } from './state.js';
import { serveTest } from './test.js';

export function onConnection(srv: ServerState, sock: net.Socket): void {
  srv.all.add(sock);
  sock.on('close', () => srv.all.delete(sock));
  sock.on('error', () => {});
  if (srv.closing) {
    sock.destroy();
    return;
  }
  const active = srv.active;
  // A test still in its parameter exchange may yet give way (see onCookie): hear the cookie first.
  if (active && !active.acceptingStreams && active.awaitingParamsSince === null) {
    srv.reject(sock, 'busy');
    return;
  }
  const ch = new ControlChannel(sock);
  const silent: SilentConn = {
    source: sourceKey(sock.remoteAddress),
    since: Date.now(),
    evict: (reason) => {
      srv.emit({ type: 'rejected', peer: ch.peer, reason: `evicted: ${reason}` });
      sock.destroy();
    },
  };
  // the running test's own streams (same source, during stream setup) never evict each other
  const ownStream = active !== null && active.acceptingStreams && silent.source === active.source;
  if (!ownStream) srv.admission.admit(silent);
  ch.readExact(COOKIE_SIZE, srv.limits.ctlTimeout).then(
    (cookie) => {
      srv.admission.release(silent);
      try {
        onCookie(srv, sock, ch, cookie);
      } catch (e) {
        // Nothing a client sends may take the server down; drop this connection only.
        srv.emit({
          type: 'rejected',
          peer: ch.peer,
          reason: `internal error: ${(e as Error).message}`,
        });
        sock.destroy();
      }
    },
    () => {
      srv.admission.release(silent);
      sock.destroy();
    },
  );
}

/** A connection sent its 37 bytes: a stream of the running test, a new test, or refused. */
function onCookie(srv: ServerState, sock: net.Socket, ch: ControlChannel, cookie: Buffer): void {
  const grace = srv.limits.paramGrace;
  if (
    srv.active &&
    srv.active.awaitingParamsSince !== null &&
    Date.now() - srv.active.awaitingParamsSince >= grace &&
    isPlausibleCookie(cookie) &&
    !cookie.equals(srv.active.cookie)
  ) {
    srv.active.preempt(`sent no parameters for ${grace} ms and another client is waiting`);
  }
  const active = srv.active;
  if (active) {
    if (active.acceptingStreams && cookie.equals(active.cookie) && ch.available === 0) {
      sock.removeAllListeners('data');
      sock.removeAllListeners('end');
      active.offer(sock);
    } else srv.reject(sock, 'busy or wrong cookie');
    return;
  }
  if (!isPlausibleCookie(cookie)) {
    srv.emit({ type: 'rejected', peer: ch.peer, reason: 'not an iperf3 cookie' });
    sock.destroy();
    return;
  }
  serveTest(srv, ch, cookie).catch(() => {});
}
