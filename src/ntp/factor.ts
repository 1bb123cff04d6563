/**
 * Amplification arithmetic. BAF (US-CERT TA14-017A, Rossow, Shadowserver) = UDP payload bytes
 * returned ÷ UDP payload bytes of the request; the "206×" monlist figure is the Ethernet-frame
 * ratio for ntpdc's 192-byte request. So every factor carries its layer and request size.
 */
export type Layer = 'payload' | 'frame';

/** Ethernet frame size (no FCS, no VLAN tag, 60-byte minimum) for a UDP payload. */
export function frameBytes(payload: number, family: 4 | 6 = 4): number {
  return Math.max(60, payload + 14 + (family === 6 ? 40 : 20) + 8);
}

export interface Amplification {
  requestPackets: number;
  requestBytes: number;
  replyPackets: number;
  replyBytes: number;
  requestFrameBytes: number;
  replyFrameBytes: number;
  /** Bandwidth amplification at the UDP payload layer (replyBytes / requestBytes). */
  factor: number;
  /** Same at the Ethernet frame layer. */
  frameFactor: number;
  /** Packet amplification (replyPackets / requestPackets). */
  packetFactor: number;
}

export function amplification(
  requests: number[],
  replies: number[],
  family: 4 | 6 = 4,
): Amplification {
  const sum = (a: number[]) => a.reduce((s, n) => s + n, 0);
  const requestBytes = sum(requests);
  const replyBytes = sum(replies);
  const requestFrameBytes = sum(requests.map((n) => frameBytes(n, family)));
  const replyFrameBytes = sum(replies.map((n) => frameBytes(n, family)));
  const r = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 100) / 100);
  return {
    requestPackets: requests.length,
    requestBytes,
    replyPackets: replies.length,
    replyBytes,
    requestFrameBytes,
    replyFrameBytes,
    factor: r(replyBytes, requestBytes),
    frameFactor: r(replyFrameBytes, requestFrameBytes),
    packetFactor: r(replies.length, requests.length),
  };
}
