/** JSON view of a message: spool bytes re-decoded as UTF-8, fields in a stable order. */
import type { QueueMessage } from './types.js';

const u = (s: string | undefined) =>
  s === undefined ? undefined : Buffer.from(s, 'latin1').toString('utf8');

export function toJsonMessage(m: QueueMessage): Record<string, unknown> {
  return {
    id: m.id,
    time: m.time,
    size: m.size,
    sender: u(m.sender),
    recipients: m.recipients.map((r) => ({ address: u(r.address), delivered: r.delivered })),
    frozen: m.frozen,
    frozenAt: m.frozenAt,
    login: u(m.login),
    uid: m.uid,
    authId: u(m.authId),
    authSender: u(m.authSender),
    hostAddress: m.hostAddress,
    protocol: m.protocol,
    phpScript: u(m.phpScript),
    subject: u(m.subject),
    from: u(m.fromHeader),
    extraDelivered: m.extraDelivered?.map((a) => u(a)),
    subdir: m.subdir || undefined,
    error: m.error,
    errorKind: m.errorKind,
  };
}
