/**
 * EXCHANGE_RESULTS / DISPLAY_RESULTS / IPERF_DONE: take the client's per-stream results, send
 * ours (with the server's output when asked), report the test and wait for the client to finish.
 */
import { IErr, Limits, State } from '../constants.js';
import type { TestSettings } from '../params.js';
import { buildEnd, type IperfJson } from '../report.js';
import type { Json, Session } from '../session.js';
import { parsePeerStreams, signedNumber } from '../stream.js';
import type { TestRun } from './test-run.js';

export async function exchangeResults(
  t: TestRun,
  s: TestSettings,
  sess: Session,
  localCong: string | undefined,
): Promise<void> {
  const { ctrl, srv } = t;
  ctrl.writeState(State.EXCHANGE_RESULTS);
  const clientResults = await ctrl.readJson(Limits.maxResultsJsonServer, srv.limits.ctlTimeout);
  const map = parsePeerStreams(clientResults);
  for (const st of sess.streams) {
    const r = map.get(st.id);
    if (!r) {
      ctrl.writeServerError(IErr.IESTREAMID, 0);
      throw new Error(`client results name no stream ${st.id}`);
    }
    st.peer = r;
  }
  const remoteCpu = {
    total: signedNumber(clientResults.cpu_util_total),
    user: signedNumber(clientResults.cpu_util_user),
    system: signedNumber(clientResults.cpu_util_system),
  };
  sess.peerHasRetransmits = signedNumber(clientResults.sender_has_retransmits) === 1;
  const remoteCong =
    typeof clientResults.congestion_used === 'string'
      ? clientResults.congestion_used.slice(0, 32)
      : undefined;
  const json: IperfJson = {
    start: t.start,
    intervals: sess.intervals,
    end: buildEnd(sess, remoteCpu, { local: localCong, remote: remoteCong }),
  };
  const extra: Json = {};
  if (localCong) extra.congestion_used = localCong;
  if (s.getServerOutput) {
    if (srv.opts.json) extra.server_output_json = json;
    else extra.server_output_text = t.output.text();
  }
  ctrl.writeJson(sess.resultsJson(extra));
  ctrl.writeState(State.DISPLAY_RESULTS);
  srv.completed++;
  srv.emit({ type: 'result', json, settings: s, peer: t.peer });
  // IPERF_DONE (or just the close) ends it; either way we are finished.
  await ctrl.readState(srv.limits.ctlTimeout).catch(() => 0);
}
