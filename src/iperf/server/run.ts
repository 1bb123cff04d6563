/**
 * TEST_START / TEST_RUNNING / TEST_END: announce the streams, run the test with a watchdog, wait
 * for the client's TEST_END, then stop and print the server's own summary.
 */
import { IErr, State } from '../constants.js';
import { cookieText } from '../cookie.js';
import type { TestSettings } from '../params.js';
import { buildEnd, buildStart } from '../report.js';
import type { Session } from '../session.js';
import { buffersOf, defaultCongestion, mssOf } from '../sockopt.js';
import { plainAddr } from '../stream.js';
import { TcpSender } from '../tcp-data.js';
import { connectedLines, intervalLines, summaryLines } from '../text.js';
import type { TestRun } from './test-run.js';

export function startTest(t: TestRun, s: TestSettings, sess: Session): void {
  const { ctrl, srv } = t;
  t.start = buildStart({
    settings: s,
    streams: sess.streams,
    cookie: cookieText(t.cookie),
    accepted: { host: plainAddr(ctrl.socket.remoteAddress), port: ctrl.socket.remotePort ?? 0 },
    sock: {
      mss: mssOf(ctrl.socket),
      ...(t.dataSocks[0] ? buffersOf(t.dataSocks[0]) : { sndbuf: 0, rcvbuf: 0 }),
    },
  });
  for (const l of connectedLines(t.start)) t.say(l);
  let ivIndex = 0;
  sess.onInterval = (iv) => {
    if (!srv.opts.json) for (const l of intervalLines(iv, s, 's', ivIndex++)) t.say(l);
  };
  sess.onOmitDone = () => {
    for (const x of t.senders) x.resetPacing();
  };
  ctrl.writeState(State.TEST_START);
  sess.begin();
  ctrl.writeState(State.TEST_RUNNING);
  for (const x of t.senders) x.start();
}

/** Waits for the client's TEST_END; the watchdog or any other message ends the test with an error. */
export async function awaitTestEnd(t: TestRun, s: TestSettings, sess: Session): Promise<void> {
  const { dataIdle, maxDuration } = t.srv.limits;
  // Watchdog: data streams that move nothing for dataIdle end the test; so does a test that
  // outlives its own length (or maxDuration for -n/-k tests) by more than the grace period.
  let lastBytes = -1;
  let lastMove = Date.now();
  const hardEnd =
    Date.now() + ((s.duration > 0 ? s.duration : maxDuration) + s.omit) * 1000 + dataIdle;
  let watchdogFired: (why: string) => void = () => {};
  const watchdogP = new Promise<never>((_, rej) => {
    watchdogFired = (why) => rej(new Error(why));
  });
  t.watchdog = setInterval(() => {
    const total = sess.streams.reduce((a, x) => a + x.bytes, 0);
    if (total !== lastBytes) {
      lastBytes = total;
      lastMove = Date.now();
    }
    if (Date.now() - lastMove > dataIdle) watchdogFired('idle timeout for receiving data');
    else if (Date.now() > hardEnd) watchdogFired('test ran past its length');
  }, 500);
  watchdogP.catch(() => {});

  const msg = await Promise.race([t.nextMsg, watchdogP]);
  if (msg === State.CLIENT_TERMINATE) throw new Error('the client has terminated');
  if (msg !== State.TEST_END) {
    t.ctrl.writeServerError(IErr.IEMESSAGE, 0);
    throw new Error(`unexpected control message ${msg}`);
  }
  clearInterval(t.watchdog);
  t.watchdog = null;
}

/** Stops sending, takes the final interval, closes the streams; returns our congestion control. */
export function stopTest(t: TestRun, s: TestSettings, sess: Session): string | undefined {
  // the data sockets are destroyed below: what Node still queues for them is never sent
  for (const x of t.senders)
    if (x instanceof TcpSender) x.stopForClose();
    else x.stop();
  sess.finish();
  t.closeData();
  const localCong = s.protocol === 'tcp' ? (sess.congestionUsed ?? defaultCongestion()) : undefined;
  const endLocal = buildEnd(sess, null, { local: localCong });
  if (!t.srv.opts.json) for (const l of summaryLines(endLocal, s, 's')) t.say(l);
  return localCong;
}
