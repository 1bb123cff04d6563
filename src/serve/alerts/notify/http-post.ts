/** POST JSON with a bounded time; any non-2xx answer is an error naming the URL and status. */
export async function postJson(url: string, body: unknown, timeoutMs: number, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(url, {
    method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', 'User-Agent': 'hostops', ...headers },
    signal: AbortSignal.timeout(timeoutMs), redirect: 'error',
  });
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`${url} answered ${res.status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`);
}
