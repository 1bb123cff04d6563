/** POST JSON with a bounded time; a refused connection, a timeout or a non-2xx answer is an error naming the URL. */
export async function postJson(
  url: string,
  body: unknown,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<void> {
  // fetch refuses URLs with user:password@; send them as basic auth (Alertmanager behind a proxy)
  const u = new URL(url);
  if (u.username || u.password) {
    headers = {
      Authorization: `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`,
      ...headers,
    };
    u.username = '';
    u.password = '';
    url = u.toString();
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'hostops', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs / 1000} s`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new Error(`${url}: ${why}`); // url no longer holds user:password
  }
  const text = await res.text().catch(() => '');
  if (!res.ok)
    throw new Error(`${url} answered ${res.status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`);
}
