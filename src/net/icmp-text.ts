/** Words for ICMP errors as ping prints them, and traceroute's !-marks. */

const V4_UNREACH: Record<number, string> = {
  0: 'Destination Net Unreachable',
  1: 'Destination Host Unreachable',
  2: 'Destination Protocol Unreachable',
  3: 'Destination Port Unreachable',
  4: 'Frag needed and DF set',
  5: 'Source Route Failed',
  6: 'Destination Net Unknown',
  7: 'Destination Host Unknown',
  8: 'Source Host Isolated',
  9: 'Destination Net Prohibited',
  10: 'Destination Host Prohibited',
  11: 'Destination Net Unreachable for Type of Service',
  12: 'Destination Host Unreachable for Type of Service',
  13: 'Packet filtered',
  14: 'Precedence Violation',
  15: 'Precedence Cutoff',
};

const V6_UNREACH: Record<number, string> = {
  0: 'No route',
  1: 'Administratively prohibited',
  2: 'Beyond scope of source address',
  3: 'Address unreachable',
  4: 'Port unreachable',
  5: 'Source address failed ingress/egress policy',
  6: 'Reject route to destination',
};

export function icmpErrorText(family: 4 | 6, type: number, code: number): string {
  if (family === 4) {
    if (type === 3) return V4_UNREACH[code] ?? `Dest Unreachable, Bad Code: ${code}`;
    if (type === 11) return code === 0 ? 'Time to live exceeded' : 'Frag reassembly time exceeded';
    if (type === 12) return 'Parameter problem';
    if (type === 4) return 'Source Quench';
    return `Bad ICMP type: ${type}`;
  }
  if (type === 1) return `Destination unreachable: ${V6_UNREACH[code] ?? `Unknown code ${code}`}`;
  if (type === 2) return 'Packet too big';
  if (type === 3)
    return code === 0 ? 'Time exceeded: Hop limit' : 'Time exceeded: Defragmentation failure';
  if (type === 4) return 'Parameter problem';
  return `Unknown ICMP type: ${type}`;
}

/**
 * traceroute's annotation for an ICMP error that ended a probe ('' when it is the normal answer:
 * time exceeded, or port unreachable from the destination).
 */
export function traceMark(family: 4 | 6, type: number, code: number): string {
  if (family === 4) {
    if (type === 11) return '';
    if (type !== 3) return `!<${type}>`; // unusual type
    switch (code) {
      case 3:
        return '';
      case 0:
      case 6:
        return '!N';
      case 1:
      case 7:
        return '!H';
      case 2:
        return '!P';
      case 4:
        return '!F';
      case 5:
        return '!S';
      case 13:
        return '!X';
      case 14:
        return '!V';
      case 15:
        return '!C';
      default:
        return `!<${code}>`;
    }
  }
  if (type === 3) return '';
  if (type !== 1) return `!<${type}>`;
  switch (code) {
    case 4:
      return '';
    case 0:
      return '!N';
    case 1:
      return '!X';
    case 3:
      return '!H';
    case 5:
    case 6:
      return '!X';
    default:
      return `!<${code}>`;
  }
}
