/** POST JSON with a bounded time; a refused connection, a timeout or a non-2xx answer is an error naming the URL. */
export async function postJson(url: string, body: unknown, timeoutMs: number, headers: Record<string, string> = {}): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', 'User-Agent': 'hostops', ...headers },
      signal: AbortSignal.timeout(timeoutMs), redirect: 'error',
    });
  } catch (e) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : err.cause?.code ?? err.cause?.message ?? err.message;
    throw new Error(`${url}: ${why}`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new Error(`${url} answered ${res.status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`);
}
