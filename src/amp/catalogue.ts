/**
 * The one catalogue of UDP services abused as reflectors/amplifiers (US-CERT TA14-017A list plus
 * later vectors): one name per protocol, keyed by the port its replies come from. ddos counts
 * reflected traffic by these names; amp's probes (protocols.ts) are tests of these protocols and
 * keep their own names ("ntp-monlist", "ntp-mode6", "wsd"), listed here as aliases so the CLI
 * accepts either.
 */
export interface Amplifier {
  port: number;
  name: string;
  note: string;
  aliases?: readonly string[];
}

export const AMPLIFIERS: readonly Amplifier[] = [
  { port: 17, name: 'qotd', note: 'Quote of the Day' },
  { port: 19, name: 'chargen', note: 'Character Generator' },
  { port: 53, name: 'dns', note: 'open resolvers / ANY queries' },
  { port: 111, name: 'portmap', note: 'RPC portmapper dump' },
  {
    port: 123,
    name: 'ntp',
    note: 'NTP mode 7 monlist / mode 6',
    aliases: ['ntp-monlist', 'ntp-mode6'],
  },
  { port: 137, name: 'netbios', note: 'NetBIOS name service' },
  { port: 161, name: 'snmp', note: 'SNMPv2 GetBulk' },
  { port: 389, name: 'cldap', note: 'Connectionless LDAP' },
  { port: 520, name: 'ripv1', note: 'RIPv1 request' },
  { port: 1434, name: 'mssql', note: 'SQL Server resolution service' },
  { port: 1900, name: 'ssdp', note: 'SSDP M-SEARCH' },
  { port: 3283, name: 'ard', note: 'Apple Remote Desktop' },
  { port: 3702, name: 'ws-discovery', note: 'WS-Discovery', aliases: ['wsd'] },
  { port: 5353, name: 'mdns', note: 'multicast DNS unicast query' },
  { port: 5683, name: 'coap', note: 'CoAP' },
  { port: 10001, name: 'ubiquiti', note: 'Ubiquiti discovery' },
  { port: 11211, name: 'memcached', note: 'memcached stats/get' },
  { port: 37810, name: 'dvr', note: 'DVR DHCPDiscover' },
];

/** The catalogue entry a protocol name or alias stands for. */
export function amplifier(name: string): Amplifier | undefined {
  return AMPLIFIERS.find((a) => a.name === name || a.aliases?.includes(name));
}
