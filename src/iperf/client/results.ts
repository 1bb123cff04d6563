/**
 * EXCHANGE_RESULTS and DISPLAY_RESULTS: end our side, swap per-stream results with the server,
 * then the -J document with both ends' figures.
 */
import { Limits, State } from '../constants.js';
import { buildEnd, type IperfJson } from '../report.js';
import type { Json } from '../session.js';
import { parsePeerStreams, signedNumber } from '../stream.js';
import type { ClientRun } from './client-run.js';

export async function exchangeResults(c: ClientRun): Promise<void> {
  const { ctrl, sess, json } = c;
  c.endTest();
  ctrl.writeJson(
    sess.resultsJson(c.congestion ? { congestion_used: sess.congestionUsed ?? c.congestion } : {}),
  );
  let peer: Record<string, unknown>;
  try {
    peer = await ctrl.readJson(Limits.maxResultsJsonClient, 30_000);
    const map = parsePeerStreams(peer);
    for (const st of sess.streams) {
      const r = map.get(st.id);
      if (!r) return c.fail('IPERF_STREAM_ID', `server results name no stream ${st.id}`);
      st.peer = r;
    }
  } catch (e) {
    return c.fail('IPERF_RESULTS', `unable to receive results: ${(e as Error).message}`);
  }
  c.remoteCpu = {
    total: signedNumber(peer.cpu_util_total),
    user: signedNumber(peer.cpu_util_user),
    system: signedNumber(peer.cpu_util_system),
  };
  sess.peerHasRetransmits = signedNumber(peer.sender_has_retransmits) === 1;
  if (typeof peer.congestion_used === 'string')
    c.remoteCongestion = peer.congestion_used.slice(0, 32);
  if (typeof peer.server_output_text === 'string')
    json.server_output_text = peer.server_output_text;
  if (peer.server_output_json && typeof peer.server_output_json === 'object')
    json.server_output_json = peer.server_output_json as Json;
}

export function displayResults(c: ClientRun): IperfJson {
  const { json, sess } = c;
  c.ctrl.writeState(State.IPERF_DONE);
  json.end = buildEnd(sess, c.remoteCpu, {
    local: sess.congestionUsed ?? c.congestion,
    remote: c.remoteCongestion,
  });
  if (json.server_output_text === undefined) delete json.server_output_text;
  return json;
}
