/** TEST_START and TEST_RUNNING: start the clock and the intervals, then the senders and the idle watchdog. */
import type { ClientRun } from './client-run.js';

export function beginTest(c: ClientRun): void {
  const { sess, settings, opts } = c;
  sess.onInterval = (iv) => opts.onEvent?.({ type: 'interval', interval: iv, settings });
  sess.onOmitDone = () => {
    for (const s of c.senders) s.resetPacing();
    opts.onEvent?.({ type: 'omit-done' });
  };
  sess.begin();
  if (settings.duration > 0) {
    c.endTimer = setTimeout(c.endTest, (settings.duration + settings.omit) * 1000);
  }
}

export function startRunning(c: ClientRun): void {
  const { sess } = c;
  for (const s of c.senders) s.start();
  // A server that stops sending (or reading) must not hold us forever.
  const idleMs = c.opts.idleTimeoutMs ?? 120_000;
  let last = -1;
  let moved = Date.now();
  c.idleTimer = setInterval(
    () => {
      const total = sess.streams.reduce((a, x) => a + x.bytes, 0);
      if (total !== last) {
        last = total;
        moved = Date.now();
      } else if (sess.running && Date.now() - moved > idleMs) {
        c.idleFired = true;
        c.ctrl.close();
      }
    },
    Math.min(1000, idleMs / 2),
  );
}
