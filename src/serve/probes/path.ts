/** Path (mtr-style) probing contract; implemented over src/net's mtr in path-net.ts. */
import type { PathHop } from '../../store/index.js';

export interface PathProber {
  readonly name: string;
  path(host: string, opts: { cycles: number; signal?: AbortSignal }): Promise<{ hops: PathHop[]; advice: string[] }>;
}
