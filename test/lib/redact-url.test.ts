import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from '../../src/lib/redact-url.js';

test('redactUrl masks the userinfo password and keeps user, host, port and path', () => {
  assert.equal(
    redactUrl('postgres://u:pw@127.0.0.1:5432/db'),
    'postgres://u:***@127.0.0.1:5432/db',
  );
  assert.equal(redactUrl('postgres://u@127.0.0.1/db'), 'postgres://u@127.0.0.1/db');
  assert.equal(redactUrl('postgres://127.0.0.1/db'), 'postgres://127.0.0.1/db');
  // a password holding @ or : is still one password (the last @ ends the userinfo)
  assert.equal(redactUrl('postgres://u:p@ss:w@[::1]:5433/db'), 'postgres://u:***@[::1]:5433/db');
  assert.equal(redactUrl('http://u:@h/'), 'http://u:***@h/');
});

test('redactUrl masks credential query parameters case-insensitively and keeps the rest', () => {
  assert.equal(
    redactUrl('postgres://h/db?sslmode=require&password=x&PassWord=y&sslpassword=z'),
    'postgres://h/db?sslmode=require&password=***&PassWord=***&sslpassword=***',
  );
  for (const k of [
    'pass',
    'passwd',
    'pwd',
    'token',
    'access_token',
    'secret',
    'client_secret',
    'key',
    'apikey',
    'api_key',
    'API-KEY',
    'sig',
    'signature',
    'pass%77ord',
  ])
    assert.equal(redactUrl(`https://h/p?a=1&${k}=s3&b=2`), `https://h/p?a=1&${k}=***&b=2`, k);
  // names that merely contain a secret word are not secrets; a bare name has no value to hide
  assert.equal(
    redactUrl('https://h/p?keyword=a&sslkey=/k.pem&token'),
    'https://h/p?keyword=a&sslkey=/k.pem&token',
  );
  assert.equal(redactUrl('https://h/p?token=a#frag'), 'https://h/p?token=***#frag');
});

test('redactUrl drop modes: no userinfo at all, the whole query as ?***', () => {
  const o = { userinfo: 'drop', query: 'drop' } as const;
  assert.equal(redactUrl('http://am:ampass@127.0.0.1:9093', o), 'http://127.0.0.1:9093');
  assert.equal(redactUrl('http://am@127.0.0.1:9093/x', o), 'http://127.0.0.1:9093/x');
  assert.equal(
    redactUrl('https://127.0.0.1:8443/hook?t=abc#f', o),
    'https://127.0.0.1:8443/hook?***',
  );
  assert.equal(redactUrl('https://127.0.0.1:8443/hook#f', o), 'https://127.0.0.1:8443/hook#f');
});

test('redactUrl: text that is not scheme://… is not shown', () => {
  for (const s of ['', 'host=h password=x', 'u:pw@h/db', 'postgres:/h'])
    assert.equal(redactUrl(s), '(unparsable URL)', s);
});
