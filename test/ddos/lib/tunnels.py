"""Writes one capture per encapsulation, each carrying an NTP monlist and a DNS reflection inside.

Run by test/ddos/tunnels.test.ts with Debian's python3-scapy (/usr/bin/python3 tunnels.py OUTDIR).
Frames are built by scapy's own layers (GRE, ERSPAN I/II/III, VXLAN, GENEVE, MPLS, PPPoE, PPP);
NFLOG (linktype 239), which scapy has no layer for, is packed by hand from its TLV layout
(family, version, resource id; then little-endian length/type TLVs, NFULA_PAYLOAD = 9).
"""
import struct
import sys

from scapy.all import Ether, IP, IPv6, UDP, Raw, GRE, wrpcap
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.contrib.geneve import GENEVE
from scapy.contrib.mpls import MPLS
from scapy.layers.vxlan import VXLAN
from scapy.layers.ppp import PPPoE, PPP
from scapy.layers.inet6 import IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, IPv6ExtHdrDestOpt, HAO

T0 = 1764000000
NTP_VICTIM, DNS_VICTIM = '198.18.50.5', '198.18.60.6'
NTP6_VICTIM, DNS6_VICTIM = '2001:db8:50::5', '2001:db8:60::6'
OUT_A, OUT_B = '198.18.0.1', '198.18.0.2'
OUT6_A, OUT6_B = '2001:db8:ff::1', '2001:db8:ff::2'
REFLECTORS, PER_REFLECTOR = 12, 20


def monlist(seq):
    # mode 7 response (R bit), version 2, implementation 3, request code 42 (MON_GETLIST_1)
    return bytes([0x97, seq & 0x7f, 3, 42]) + struct.pack('!HH', 6, 72) + bytes(432)


def inner_packets(v6=False):
    """(ip_packet, ts) pairs: NTP monlist answers then DNS answers, all inside one second."""
    out = []
    for i in range(REFLECTORS):
        for n in range(PER_REFLECTOR):
            ts = T0 + 1 + (i * PER_REFLECTOR + n) * 0.001
            if v6:
                p = IPv6(src='2001:db8:10::%x' % (i + 1), dst=NTP6_VICTIM) / UDP(sport=123, dport=80) / Raw(monlist(n))
            else:
                p = IP(src='198.18.10.%d' % (i + 1), dst=NTP_VICTIM, id=i * 100 + n) / UDP(sport=123, dport=80) / Raw(monlist(n))
            out.append((p, ts))
    for i in range(REFLECTORS):
        for n in range(PER_REFLECTOR):
            ts = T0 + 1.5 + (i * PER_REFLECTOR + n) * 0.001
            dport = 1024 + (i * 977 + n * 131) % 60000
            if v6:
                p = IPv6(src='2001:db8:20::%x' % (i + 1), dst=DNS6_VICTIM) / UDP(sport=53, dport=dport) / Raw(bytes(1200))
            else:
                p = IP(src='198.18.20.%d' % (i + 1), dst=DNS_VICTIM, id=5000 + i * 100 + n) / UDP(sport=53, dport=dport) / Raw(bytes(1200))
            out.append((p, ts))
    return out


def eth():
    return Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')


def eth_inner():
    return Ether(src='02:00:00:00:01:01', dst='02:00:00:00:01:02')


def outer4(proto=None):
    return IP(src=OUT_A, dst=OUT_B, proto=proto) if proto is not None else IP(src=OUT_A, dst=OUT_B)


def build(kind):
    """List of (frame, ts) and the linktype for one encapsulation."""
    v6 = kind in ('6in4', 'gre-ipv6', 'pppoe-ipv6', 'mpls-ipv6')
    frames = []
    for k, (p, ts) in enumerate(inner_packets(v6)):
        if kind == 'gre':
            f = eth() / outer4() / GRE(proto=0x0800) / p
        elif kind == 'gre-key':
            f = eth() / outer4() / GRE(chksum_present=1, key_present=1, key=77, seqnum_present=1, seqence_number=k, proto=0x0800) / p
        elif kind == 'gre-ipv6':
            f = eth() / outer4() / GRE(proto=0x86dd) / p
        elif kind == 'erspan1':
            f = eth() / outer4() / GRE(proto=0x88be) / eth_inner() / p
        elif kind == 'erspan2':
            f = eth() / outer4() / GRE(seqnum_present=1, seqence_number=k, proto=0x88be) / ERSPAN_II(ver=1, vlan=0, session_id=5, index=0) / eth_inner() / p
        elif kind == 'erspan3':
            f = eth() / outer4() / GRE(seqnum_present=1, seqence_number=k, proto=0x22eb) / ERSPAN_III(session_id=5, timestamp=k, o=0) / eth_inner() / p
        elif kind == 'erspan3-platform':
            f = eth() / outer4() / GRE(seqnum_present=1, seqence_number=k, proto=0x22eb) / ERSPAN_III(session_id=5, timestamp=k, o=1) / ERSPAN_PlatformSpecific(platf_id=3) / eth_inner() / p
        elif kind == 'ipip':
            f = eth() / outer4(4) / p
        elif kind == '6in4':
            f = eth() / outer4(41) / p
        elif kind == '4in6':
            f = eth() / IPv6(src=OUT6_A, dst=OUT6_B, nh=4) / p
        elif kind == 'vxlan':
            f = eth() / outer4() / UDP(sport=49152 + k % 1000, dport=4789) / VXLAN(vni=100) / eth_inner() / p
        elif kind == 'geneve':
            f = eth() / outer4() / UDP(sport=50000 + k % 1000, dport=6081) / GENEVE(vni=200, proto=0x6558, optionlen=2, options=bytes(8)) / eth_inner() / p
        elif kind == 'mpls':
            f = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02', type=0x8847) / MPLS(label=100, s=0, ttl=64) / MPLS(label=200, s=1, ttl=64) / p
        elif kind == 'mpls-ipv6':
            f = Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02', type=0x8847) / MPLS(label=100, s=1, ttl=64) / p
        elif kind == 'pppoe':
            f = eth() / PPPoE(sessionid=0x1234) / PPP(proto=0x0021) / p
        elif kind == 'pppoe-ipv6':
            f = eth() / PPPoE(sessionid=0x1234) / PPP(proto=0x0057) / p
        elif kind == 'ppp':
            f = bytes([0xff, 0x03, 0x00, 0x21]) + bytes(p)
        elif kind == 'nflog':
            f = nflog(bytes(p))
        else:
            raise SystemExit('unknown kind ' + kind)
        frames.append((f, ts))
    return frames, {'ppp': 9, 'nflog': 239}.get(kind, 1)


def tlv(t, value):
    n = 4 + len(value)
    return struct.pack('<HH', n, t) + value + bytes((4 - n % 4) % 4)


def nflog(payload):
    # AF_INET, version 0, resource id (group) 5 in network order; prefix, hwproto, then the packet
    head = bytes([2, 0]) + struct.pack('!H', 5)
    return head + tlv(10, b'hostops\0') + tlv(1, struct.pack('!HBB', 0x0800, 3, 0)) + tlv(9, payload)


KINDS = ['gre', 'gre-key', 'gre-ipv6', 'erspan1', 'erspan2', 'erspan3', 'erspan3-platform', 'ipip', '6in4', '4in6',
         'vxlan', 'geneve', 'mpls', 'mpls-ipv6', 'pppoe', 'pppoe-ipv6', 'ppp', 'nflog']


def write(path, frames, linktype):
    pkts = []
    for f, ts in frames:
        p = Raw(f) if isinstance(f, bytes) else f
        p.time = ts
        pkts.append(p)
    wrpcap(path, pkts, linktype=linktype)


if __name__ == '__main__':
    out = sys.argv[1]
    for kind in sys.argv[2:] or KINDS:
        frames, lt = build(kind)
        write('%s/%s.pcap' % (out, kind), frames, lt)
