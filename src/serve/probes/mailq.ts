/**
 * Mail queue contract: a sample (counts, sizes, top senders), the spam-sources report and message
 * removal; implemented over src/mailq in mailq-module.ts.
 */

export interface MailqSnapshot {
  messages: number;
  frozen: number;
  bytes: number;
  oldestAge: number | null;
  topSenders: { sender: string; messages: number; bytes: number }[];
  topDomains: { domain: string; messages: number }[];
  frozenIds: string[];
}

export interface MailqSource {
  readonly name: string;
  available(): Promise<boolean>;
  sample(signal?: AbortSignal): Promise<MailqSnapshot>;
  remove(ids: string[]): Promise<{ removed: string[]; failed: { id: string; error: string }[] }>;
  /** Who is sending (auth users, scripts, local users) over the last `since` seconds, when the source can tell. */
  sources?(since: number, signal?: AbortSignal): Promise<SpamSources>;
}

export interface SpamSources {
  messages: number;
  note?: string;
  top: {
    source: string;
    kind: string;
    messages: number;
    queued?: number /** The `hostops mailq rm` selection of its queued messages. */;
    select?: string;
  }[];
}
