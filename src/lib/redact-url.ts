/**
 * One way to show a URL in an error, a log line, a metric label or --check-config without its
 * secrets. Scheme, host, port and path stay (so a message still names the peer); the userinfo
 * password and the query parameters that carry credentials are replaced by ***. Works on the text
 * (no URL round trip) so what is shown is what the user wrote, bar the secrets.
 */

/** Query parameter names whose values are credentials (compared lower-cased, `-` as `_`). */
const SECRET_PARAMS = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'sslpassword',
  'token',
  'access_token',
  'auth_token',
  'secret',
  'client_secret',
  'key',
  'apikey',
  'api_key',
  'signature',
  'sig',
]);

export interface RedactOptions {
  /** 'mask' (default) keeps the user name: user:***@; 'drop' removes user:password@ altogether. */
  userinfo?: 'mask' | 'drop';
  /** 'secrets' (default) masks the credential parameters; 'drop' shows the whole query as ?***. */
  query?: 'secrets' | 'drop';
}

const MASK = '***';

function isSecretParam(name: string): boolean {
  let n = name;
  try {
    n = decodeURIComponent(name);
  } catch {
    /* keep the raw name */
  }
  return SECRET_PARAMS.has(n.toLowerCase().replace(/-/g, '_'));
}

function maskQuery(query: string): string {
  return query
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq > 0 && isSecretParam(p.slice(0, eq)) ? `${p.slice(0, eq + 1)}${MASK}` : p;
    })
    .join('&');
}

/**
 * `url` with its secrets replaced. Text that is not scheme://authority… is returned as
 * '(unparsable URL)': it cannot be told apart safely from a secret.
 */
export function redactUrl(url: string, o: RedactOptions = {}): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is.exec(url);
  if (!m) return '(unparsable URL)';
  const [, scheme, authority, path, query = '', fragment = ''] = m;
  let host = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    host = authority.slice(at + 1);
    if (o.userinfo !== 'drop') {
      const colon = userinfo.indexOf(':');
      host = `${colon >= 0 ? `${userinfo.slice(0, colon)}:${MASK}` : userinfo}@${host}`;
    }
  }
  if (query && o.query === 'drop') return `${scheme}${host}${path}?${MASK}`;
  return `${scheme}${host}${path}${query && `?${maskQuery(query.slice(1))}`}${fragment}`;
}
