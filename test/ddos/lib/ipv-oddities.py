"""Writes captures of IP header oddities, for test/ddos/oddities.test.ts (Debian's python3-scapy).

badlen.pcap: NTP replies whose IPv4 total length (10) is shorter than the header, between good ones
  (tcpdump prints "bad-len", tshark "Bogus IP length"): not UDP.
ipv6-routing.pcap: NTP replies with an IPv6 routing header type 0, type 2 (Mobile IPv6) or a segment
  routing header with segments left, one already at its last segment, and one with a Home Address
  destination option: tshark shows the final destination and the home address.
port4789.pcap: DNS answers from port 53 to the victim's random ports 4789 and 6081 (VXLAN's and
  GENEVE's): DNS reflection, not tunnels.
"""
import sys

from scapy.all import Ether, IP, IPv6, UDP, Raw, wrpcap
from scapy.layers.inet6 import IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, IPv6ExtHdrDestOpt, HAO

T0 = 1764000000


def eth():
    return Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')


def stamp(pkts):
    for i, p in enumerate(pkts):
        p.time = T0 + i * 0.001
    return pkts


def badlen():
    pkts = []
    for i in range(30):
        bad = i % 3 == 0
        ip = IP(src='198.18.10.%d' % (i + 1), dst='198.18.50.5', len=10 if bad else None)
        pkts.append(eth() / ip / UDP(sport=123, dport=80) / Raw(bytes(48)))
    return stamp(pkts)


def routing():
    pl = Raw(bytes(48))
    u = UDP(sport=123, dport=80)
    return stamp([
        eth() / IPv6(src='2001:db8:10::1', dst='2001:db8:a::1') / IPv6ExtHdrRouting(type=0, segleft=2, addresses=['2001:db8:a::2', '2001:db8:50::5']) / u / pl,
        eth() / IPv6(src='2001:db8:10::2', dst='2001:db8:c::1') / IPv6ExtHdrRouting(type=2, segleft=1, addresses=['2001:db8:50::6']) / u / pl,
        eth() / IPv6(src='2001:db8:10::3', dst='2001:db8:b::1') / IPv6ExtHdrSegmentRouting(addresses=['2001:db8:50::7', '2001:db8:b::1'], segleft=1, lastentry=1) / u / pl,
        eth() / IPv6(src='2001:db8:10::4', dst='2001:db8:50::8') / IPv6ExtHdrDestOpt(options=[HAO(hoa='2001:db8:99::4')]) / u / pl,
        eth() / IPv6(src='2001:db8:10::5', dst='2001:db8:50::9') / IPv6ExtHdrRouting(type=0, segleft=0, addresses=['2001:db8:a::2']) / u / pl,
    ])


def port4789():
    pkts = []
    for i in range(12):
        for n in range(10):
            pkts.append(eth() / IP(src='198.18.20.%d' % (i + 1), dst='198.18.60.6') / UDP(sport=53, dport=4789 if n % 2 else 6081) / Raw(bytes(1200)))
    return stamp(pkts)


if __name__ == '__main__':
    out = sys.argv[1]
    wrpcap(out + '/badlen.pcap', badlen())
    wrpcap(out + '/ipv6-routing.pcap', routing())
    wrpcap(out + '/port4789.pcap', port4789())
