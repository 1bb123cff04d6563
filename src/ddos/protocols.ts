/**
 * UDP services abused as reflectors/amplifiers, keyed by the source port their replies carry
 * (US-CERT TA14-017A list plus later vectors). Index 0 is reserved for "not an amplifier port".
 */
export interface Reflector { port: number; name: string; note: string }

export const REFLECTORS: readonly Reflector[] = [
  { port: 17, name: 'qotd', note: 'Quote of the Day' },
  { port: 19, name: 'chargen', note: 'Character Generator' },
  { port: 53, name: 'dns', note: 'open resolvers / ANY queries' },
  { port: 111, name: 'portmap', note: 'RPC portmapper dump' },
  { port: 123, name: 'ntp', note: 'NTP mode 7 monlist / mode 6' },
  { port: 137, name: 'netbios', note: 'NetBIOS name service' },
  { port: 161, name: 'snmp', note: 'SNMPv2 GetBulk' },
  { port: 389, name: 'cldap', note: 'Connectionless LDAP' },
  { port: 520, name: 'ripv1', note: 'RIPv1 request' },
  { port: 1434, name: 'mssql', note: 'SQL Server resolution service' },
  { port: 1900, name: 'ssdp', note: 'SSDP M-SEARCH' },
  { port: 3283, name: 'ard', note: 'Apple Remote Desktop' },
  { port: 3702, name: 'ws-discovery', note: 'WS-Discovery' },
  { port: 5353, name: 'mdns', note: 'multicast DNS unicast query' },
  { port: 5683, name: 'coap', note: 'CoAP' },
  { port: 10001, name: 'ubiquiti', note: 'Ubiquiti discovery' },
  { port: 11211, name: 'memcached', note: 'memcached stats/get' },
  { port: 37810, name: 'dvr', note: 'DVR DHCPDiscover' },
];

/** port -> 1 + index in REFLECTORS, 0 when the port is not an amplifier port. */
export function portTable(reflectors: readonly Reflector[] = REFLECTORS): Uint8Array {
  const t = new Uint8Array(65536);
  reflectors.forEach((r, i) => { t[r.port] = i + 1; });
  return t;
}
