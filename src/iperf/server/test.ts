/**
 * One test on the server, stage by stage as iperf3's states run: parameters (with the auth
 * check), streams, the test itself, results; any failure is reported as a rejection, and the
 * teardown always frees the server for the next client.
 */
import type { ControlChannel } from '../ctrl.js';
import { exchangeParams } from './params.js';
import { exchangeResults } from './results.js';
import { awaitTestEnd, startTest, stopTest } from './run.js';
import type { ServerState } from './state.js';
import { createStreams } from './streams.js';
import { TestRun } from './test-run.js';

export async function serveTest(
  srv: ServerState,
  ctrl: ControlChannel,
  cookie: Buffer,
): Promise<void> {
  const t = new TestRun(srv, ctrl, cookie);
  srv.active = t;
  try {
    const s = await exchangeParams(t);
    const sess = await createStreams(t, s);
    startTest(t, s, sess);
    await awaitTestEnd(t, s, sess);
    const localCong = stopTest(t, s, sess);
    await exchangeResults(t, s, sess, localCong);
  } catch (e) {
    if (!t.authFailed) srv.emit({ type: 'rejected', peer: t.peer, reason: (e as Error).message });
  } finally {
    teardown(t);
  }
}

function teardown(t: TestRun): void {
  const { srv } = t;
  if (t.watchdog) clearInterval(t.watchdog);
  t.sess?.clearTimers();
  for (const x of t.senders) x.stop();
  t.closeData();
  t.acceptor?.close();
  t.ctrl.close();
  t.ctrl.socket.destroy();
  // A preempted test was never a test: the next one already holds `active` and the test number.
  if (!t.preempted) {
    srv.active = null;
    srv.testNo++;
    if (srv.opts.oneOff && !t.authFailed) void srv.close();
    else if (!srv.closing) srv.banner();
  }
}
