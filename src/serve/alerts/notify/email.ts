/**
 * Email: an RFC 5322 text message handed to the host's MTA (`sendmail -t`, recipients from the
 * headers) or spoken to an SMTP server (smtp:// plain, smtps:// TLS from the first byte) by a
 * minimal client: EHLO (HELO when refused), MAIL, RCPT, DATA with dot-stuffing, QUIT.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  body: string;
}

/** Header text is ours (alert names, site) but a label could carry a newline: never let it split a header. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

export function formatMessage(m: Mail, date = new Date()): string {
  const h = [
    `From: ${oneLine(m.from)}`,
    `To: ${m.to.map(oneLine).join(', ')}`,
    `Subject: ${oneLine(m.subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${hostname()}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    'Auto-Submitted: auto-generated',
  ];
  return `${h.join('\n')}\n\n${m.body.replace(/\r\n?/g, '\n')}`;
}

export const defaultFrom = () => `hostops@${hostname()}`;

/** Pipe the message to `argv` (e.g. sendmail -t -i); its exit status and stderr are the answer. */
export function viaSendmail(argv: string[], m: Mail, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      if (err.length < 2000) err += d.toString();
    });
    p.on('error', (e) => reject(new Error(`${argv[0]}: ${e.message}`)));
    p.on('close', (code, sig) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${argv.join(' ')} ${sig ? `was killed (${sig}, timeout ${timeoutMs / 1000} s)` : `exited with ${code}`}${err ? `: ${err.trim()}` : ''}`,
          ),
        );
    });
    p.stdin.on('error', () => {
      /* reported by close */
    });
    p.stdin.end(formatMessage(m));
  });
}

/** Send through an SMTP server named by smtp://host[:port] or smtps://host[:port]. */
export async function viaSmtp(url: string, m: Mail, timeoutMs: number): Promise<void> {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (secure ? 465 : 25));
  const where = `SMTP server ${host}:${port}`;
  const sock: net.Socket = secure
    ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
    : net.connect({ host, port });
  sock.setTimeout(timeoutMs);
  let buf = '';
  let waiting: {
    resolve: (r: { code: number; text: string }) => void;
    reject: (e: Error) => void;
  } | null = null;
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure ??= e;
    waiting?.reject(failure);
    waiting = null;
  };
  sock.on('timeout', () => {
    fail(new Error(`${where}: no answer within ${timeoutMs / 1000} s`));
    sock.destroy();
  });
  sock.on('error', (e) => fail(new Error(`${where}: ${e.message}`)));
  sock.on('close', () => fail(new Error(`${where} closed the connection`)));
  sock.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    // a reply is complete at a line "NNN text" (a space, not a dash, after the code)
    const m = /(?:^|\r?\n)(\d{3}) [^\n]*\r?\n$/.exec(buf);
    if (!m || !waiting) return;
    const r = { code: Number(m[1]), text: buf.trim() };
    buf = '';
    const w = waiting;
    waiting = null;
    w.resolve(r);
  });
  const reply = () =>
    new Promise<{ code: number; text: string }>((resolve, reject) => {
      if (failure) {
        reject(failure);
        return;
      }
      waiting = { resolve, reject };
      sock.emit('data', Buffer.alloc(0)); // a reply that arrived before we asked
    });
  const cmd = async (line: string | null, want: number[]) => {
    if (line !== null) sock.write(line + '\r\n');
    const r = await reply();
    if (!want.includes(r.code))
      throw new Error(
        `${where} answered ${line === null ? 'the greeting' : line.split(':')[0]} with ${r.text.replace(/\r?\n/g, ' | ')}`,
      );
    return r;
  };
  try {
    await cmd(null, [220]);
    const me = hostname() || 'localhost';
    try {
      await cmd(`EHLO ${me}`, [250]);
    } catch (e) {
      if (failure) throw e;
      await cmd(`HELO ${me}`, [250]);
    }
    await cmd(`MAIL FROM:<${m.from}>`, [250]);
    for (const r of m.to) await cmd(`RCPT TO:<${r}>`, [250, 251]);
    await cmd('DATA', [354]);
    const text = formatMessage(m)
      .split('\n')
      .map((l) => (l.startsWith('.') ? '.' + l : l))
      .join('\r\n');
    await cmd(`${text}${text.endsWith('\r\n') ? '' : '\r\n'}.`, [250]);
    await cmd('QUIT', [221]).catch(() => {});
  } finally {
    sock.destroy();
  }
}
