/**
 * Echo ids of this process's raw ICMP sockets. Every raw ICMP socket sees every echo reply and
 * ICMP error the host receives; sessions tell theirs apart by echo id first. Echo replies are
 * also checked against the socket's payload cookie, but ICMP errors are matched by id, quoted
 * destination and sequence only, so two concurrent sessions with one id (random ids collide once
 * in 65,534 pairs) would count each other's errors: a ping round would take mtr's "time to live
 * exceeded" for its own. Claiming ids here keeps the sessions of one process (the agent runs
 * ping rounds and path cycles side by side) apart for certain. Datagram ICMP sockets get their
 * id from the kernel, unique per socket already.
 */
const MAX_ID = 0xfffe;
const holders = new Map<number, number>();

/** A free id in 1..65534 (random start), or `fixed` (a chosen flow) counted as taken. */
export function claimEchoId(fixed?: number): number {
  let id = fixed ?? 1 + Math.floor(Math.random() * MAX_ID);
  if (fixed === undefined) {
    for (let i = 0; i < MAX_ID && holders.has(id); i++) id = id >= MAX_ID ? 1 : id + 1;
  }
  holders.set(id, (holders.get(id) ?? 0) + 1);
  return id;
}

export function releaseEchoId(id: number): void {
  const n = holders.get(id) ?? 0;
  if (n <= 1) holders.delete(id);
  else holders.set(id, n - 1);
}
