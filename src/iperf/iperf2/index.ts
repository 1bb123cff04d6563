/** iperf 2 mode: plain TCP tests that interoperate with iperf 2.1.8 (no iperf3 control channel). */
export {
  runIperf2Client,
  type Iperf2ClientOptions,
  type Iperf2Result,
  type Iperf2Stream,
} from './client.js';
export { startIperf2Server, type Iperf2ServerOptions } from './server.js';
