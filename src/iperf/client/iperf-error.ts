import { HostopsError } from '../../lib/errors.js';
import type { IperfJson } from '../report.js';

/** A failed test; `json` is the partial -J document with "error" set, as iperf3 -J prints it. */
export class IperfError extends HostopsError {
  constructor(
    code: string,
    message: string,
    readonly json: IperfJson,
    exitCode: 1 | 2 | 3 = 1,
    where?: string,
    hint?: string,
  ) {
    super(code, message, { exitCode, where, hint });
  }
}
