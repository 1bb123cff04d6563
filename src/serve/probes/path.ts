/** Path (mtr-style) probing contract; implemented over src/net's mtr in path-net.ts. */
import type { PathHop } from '../../store/index.js';
import type { SocketBind } from '../../net/bind.js';

export interface PathProber {
  readonly name: string;
  path(host: string, opts: { cycles: number; signal?: AbortSignal; /** a transit feed */ bind?: SocketBind }): Promise<{ hops: PathHop[]; advice: string[] }>;
}
