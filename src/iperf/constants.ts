/**
 * Wire constants of the iperf3 protocol (esnet/iperf src/iperf.h, iperf_api.h): control states,
 * cookie size, limits and the i_errno values a peer prints. Facts only; names are ours.
 */
export const DEFAULT_PORT = 5201;
export const COOKIE_SIZE = 37; // 36 characters + NUL
export const COOKIE_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Control-channel states: one signed byte each. */
export const State = {
  TEST_START: 1,
  TEST_RUNNING: 2,
  TEST_END: 4,
  PARAM_EXCHANGE: 9,
  CREATE_STREAMS: 10,
  SERVER_TERMINATE: 11,
  CLIENT_TERMINATE: 12,
  EXCHANGE_RESULTS: 13,
  DISPLAY_RESULTS: 14,
  IPERF_START: 15,
  IPERF_DONE: 16,
  ACCESS_DENIED: -1,
  SERVER_ERROR: -2,
} as const;

/** i_errno values sent after SERVER_ERROR (iperf_api.h enum), the ones we use or print. */
export const IErr: Record<string, number> = {
  IENUMSTREAMS: 6,
  IEBLOCKSIZE: 7,
  IEBUFSIZE: 8,
  IEINTERVAL: 9,
  IEOMIT: 23,
  IEDURATION: 24,
  IETOTALRATE: 27,
  IERECVCOOKIE: 106,
  IERECVPARAMS: 114,
  IERECVRESULTS: 116,
  IEACCESSDENIED: 121,
  IESETBUF: 124,
  IESETTOS: 125,
  IESETCOS: 126,
  IESETCONGESTION: 134,
  IESETBUF2: 141,
  IECTRLCLOSE: 119,
  IEMESSAGE: 120,
  IENOMSG: 144,
  IEAUTHTEST: 142,
  IESTREAMID: 208,
};

/** Human text for the i_errno values above (what iperf3's iperf_strerror says, paraphrased). */
export const IErrText: Record<number, string> = {
  6: 'number of parallel streams too large',
  7: 'block size invalid',
  8: 'socket buffer size too large',
  9: 'invalid report interval',
  23: 'bogus value for --omit',
  24: 'test duration invalid',
  27: 'total required bandwidth is larger than server limit',
  106: 'unable to receive cookie at server',
  114: 'unable to receive parameters from client',
  116: 'unable to receive results',
  119: 'control socket has closed unexpectedly',
  120: 'received an unknown control message',
  121: 'the server is busy running a test. try again later',
  124: 'unable to set socket buffer size',
  125: 'unable to set IP TOS',
  126: 'unable to set IPv6 traffic class',
  134: 'unable to set TCP_CONGESTION: Supplied congestion control algorithm not supported on this host',
  141: 'socket buffer size not set correctly',
  142: 'test authorization failed',
  144: 'idle timeout for receiving data',
  208: 'stream has an invalid id',
};

/** UDP stream hello and reply ("9876" / "6789" on the wire) and the pre-3.17 native-endian reply. */
export const UDP_CONNECT_MSG = Buffer.from('9876', 'latin1');
export const UDP_CONNECT_REPLY = Buffer.from('6789', 'latin1');
export const UDP_CONNECT_REPLY_LEGACY = 987654321;
export const UDP_CONNECT_MSG_LEGACY = 123456789;

export const Limits = {
  /** Params JSON is small; 3.18+ caps it at 8 KiB. Anything longer is hostile. */
  maxParamsJson: 8 * 1024,
  /** Results JSON grows with streams and, on the client, with server output text. */
  maxResultsJsonServer: 256 * 1024,
  maxResultsJsonClient: 16 * 1024 * 1024,
  maxOmit: 600,
  maxTime: 86400,
  maxParallel: 128,
  maxTcpLen: 1024 * 1024,
  minUdpLen: 16,
  maxUdpLen: 65507,
  maxWindow: 512 * 1024 * 1024,
} as const;

export const DEFAULT_TCP_LEN = 128 * 1024;
/** UDP datagram size when the control connection's MSS (the default, as iperf3) cannot be read. */
export const DEFAULT_UDP_LEN = 1460;
export const DEFAULT_UDP_RATE = 1_000_000;
export const VERSION = '3.12';
export const VERSION_STRING = 'hostops-iperf 3.12';
