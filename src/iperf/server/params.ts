/**
 * PARAM_EXCHANGE: ask for the client's parameters, check its credentials when the server wants
 * them (before the parameters are judged), then check the parameters against the server's limits.
 */
import { authorize } from '../auth.js';
import { IErr, Limits, State } from '../constants.js';
import { ParamError, fromWire, type TestSettings } from '../params.js';
import { plainAddr } from '../stream.js';
import type { TestRun } from './test-run.js';

export async function exchangeParams(t: TestRun): Promise<TestSettings> {
  const { ctrl, srv } = t;
  ctrl.writeState(State.PARAM_EXCHANGE);
  let settings: TestSettings;
  try {
    const params = await ctrl.readJson(Limits.maxParamsJson, srv.limits.ctlTimeout);
    t.awaitingParamsSince = null;
    if (t.preempted) throw new Error(t.preempted); // the parameters came in the same tick as the next client
    checkAuth(t, params.authtoken);
    settings = fromWire(params, {
      maxDuration: srv.limits.maxDuration,
      maxParallel: srv.opts.maxParallel ?? Limits.maxParallel,
      maxBitrate: srv.opts.maxBitrate ?? 0,
    });
  } catch (e) {
    t.awaitingParamsSince = null;
    if (t.preempted) throw new Error(t.preempted);
    if (t.authFailed) throw e;
    const ierr = e instanceof ParamError ? e.ierrno : IErr.IERECVPARAMS;
    ctrl.writeServerError(ierr, 0);
    throw e;
  }
  t.settings = settings;
  // as iperf3, the connection is announced once its parameters are accepted
  t.say(
    `Accepted connection from ${plainAddr(ctrl.socket.remoteAddress)}, port ${ctrl.socket.remotePort}`,
  );
  return settings;
}

/** The auth check: a stranger learns nothing of the server's limits. */
function checkAuth(t: TestRun, token: unknown): void {
  const auth = t.srv.opts.auth;
  if (!auth) return;
  const v = authorize(token, auth);
  if (v.ok) return;
  t.authFailed = true;
  // exactly what iperf3 3.12 sends: SERVER_ERROR and i_errno, no errno, then the close
  const b = Buffer.alloc(5);
  b.writeInt8(State.SERVER_ERROR, 0);
  b.writeInt32BE(IErr.IEAUTHTEST, 1);
  t.ctrl.socket.write(b);
  t.srv.emit({ type: 'auth-failed', peer: t.peer, reason: v.reason });
  throw new Error(`test authorization failed: ${v.reason}`);
}
