export async function runIperf2Client(_o: { host: string; port: number; duration?: number; bytes?: number; parallel?: number; len?: number; interval?: number; onLine?: (l: string) => void }): Promise<unknown> {
  throw new Error('not yet');
}
export async function startIperf2Server(_o: { port: number; host?: string; oneOff?: boolean; onLine?: (l: string) => void; onResult?: (r: unknown) => void }): Promise<{ close(): Promise<void>; done: Promise<void> }> {
  throw new Error('not yet');
}
