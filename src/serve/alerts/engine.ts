/**
 * The alert state machine: each alert instance (alert name + labels) is pending while its
 * condition holds for less than its "for", firing after, and resolved when the condition clears.
 * Rules report a verdict per observation: raise (above the raise threshold), clear (below the
 * lower clear threshold) or hold (in between: a firing alert stays firing, a pending one is
 * dropped). Two thresholds make it edge-triggered with hysteresis: a value hovering at the limit
 * does not flap. Notifications only follow the changes drain() hands out.
 */
export type Severity = 'critical' | 'warning' | 'info';
export type Verdict = 'raise' | 'hold' | 'clear';

export interface AlertSpec {
  alertname: string;
  severity: Severity;
  /** Seconds the condition must hold before firing. */
  for: number;
  /** Labels besides alertname, site and severity (target, job, source ...). */
  labels: Record<string, string>;
  annotations: { summary: string; description: string; [k: string]: string };
}

export interface AlertView {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'resolved';
  /** When the condition started (unix seconds). */
  activeAt: number;
  firedAt: number | null;
  resolvedAt: number | null;
}

interface Instance extends AlertView {
  for: number;
  verdict: Verdict;
  expires: number | null;
}

export interface Changes {
  fired: AlertView[];
  resolved: AlertView[];
}

/** A stable id of a label set (Alertmanager computes its own; this one names ours in the API). */
export function fingerprint(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  for (const k of Object.keys(labels).sort()) {
    for (const ch of `${k}\u0000${labels[k]}\u0001`) {
      h ^= BigInt(ch.codePointAt(0)!);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  return h.toString(16).padStart(16, '0');
}

const view = (i: Instance): AlertView => ({
  fingerprint: i.fingerprint,
  labels: { ...i.labels },
  annotations: { ...i.annotations },
  state: i.state,
  activeAt: i.activeAt,
  firedAt: i.firedAt,
  resolvedAt: i.resolvedAt,
});

export class AlertEngine {
  private live = new Map<string, Instance>();
  private fired: AlertView[] = [];
  private resolved: AlertView[] = [];
  /** The last resolved alerts, newest last, for the API and the dashboard. */
  readonly history: AlertView[] = [];

  constructor(
    private site: string,
    private now: () => number,
  ) {}

  /**
   * Report a rule's verdict for one instance, measured at `at` (a ping round's start, so the
   * "for" counts from when the condition began, not from when it was noticed). `expires` makes a
   * firing alert resolve by itself then (an event such as a path change has no "clear").
   */
  set(spec: AlertSpec, verdict: Verdict, at = this.now(), expires: number | null = null): void {
    const labels = {
      alertname: spec.alertname,
      site: this.site,
      severity: spec.severity,
      ...spec.labels,
    };
    const fp = fingerprint(labels);
    const cur = this.live.get(fp);
    if (verdict === 'raise') {
      if (!cur) {
        const i: Instance = {
          fingerprint: fp,
          labels,
          annotations: { ...spec.annotations },
          state: 'pending',
          activeAt: at,
          firedAt: null,
          resolvedAt: null,
          for: spec.for,
          verdict,
          expires,
        };
        this.live.set(fp, i);
        this.promote(i, this.now());
        return;
      }
      cur.annotations = { ...spec.annotations };
      cur.verdict = 'raise';
      cur.for = spec.for;
      if (expires != null) cur.expires = expires;
      this.promote(cur, this.now());
      return;
    }
    if (!cur) return;
    cur.verdict = verdict;
    if (cur.state === 'pending') {
      this.live.delete(fp);
      return;
    }
    if (verdict === 'clear') this.resolve(cur, at, spec.annotations);
  }

  private promote(i: Instance, now: number): void {
    if (i.state === 'pending' && i.verdict === 'raise' && now - i.activeAt >= i.for) {
      i.state = 'firing';
      i.firedAt = now;
      this.fired.push(view(i));
    }
  }

  private resolve(i: Instance, at: number, annotations?: Record<string, string>): void {
    this.live.delete(i.fingerprint);
    if (i.state !== 'firing') return;
    i.state = 'resolved';
    i.resolvedAt = Math.max(at, i.firedAt ?? at);
    if (annotations) i.annotations = { ...annotations };
    const v = view(i);
    this.resolved.push(v);
    this.history.push(v);
    if (this.history.length > 200) this.history.splice(0, this.history.length - 200);
  }

  /** Promote pending alerts whose "for" has passed and resolve expired ones. */
  tick(now = this.now()): void {
    for (const i of [...this.live.values()]) {
      if (i.expires != null && now >= i.expires) this.resolve(i, now);
      else this.promote(i, now);
    }
  }

  /**
   * Resolve (or drop, when pending) every alert `keep` rejects: its target, job or rule is gone
   * from the config, so nothing would ever clear it.
   */
  retain(keep: (labels: Record<string, string>) => boolean, now = this.now()): void {
    for (const i of [...this.live.values()]) {
      if (keep(i.labels)) continue;
      if (i.state === 'pending') this.live.delete(i.fingerprint);
      else
        this.resolve(i, now, {
          ...i.annotations,
          description: `${i.annotations.description ?? ''} (resolved: no longer configured)`.trim(),
        });
    }
  }

  /** The changes since the last drain. */
  drain(): Changes {
    const c = { fired: this.fired, resolved: this.resolved };
    this.fired = [];
    this.resolved = [];
    return c;
  }

  /** Pending and firing alerts. */
  active(): AlertView[] {
    return [...this.live.values()].map(view);
  }
  firing(): AlertView[] {
    return [...this.live.values()].filter((i) => i.state === 'firing').map(view);
  }
}
