import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openFleet } from '../../src/fleet/open.js';
import { HostopsError } from '../../src/lib/errors.js';

// Port 1 on loopback has no listener: the connection is refused at once and openFleet reports it.
test('openFleet: the error names the peer but neither the userinfo password nor ?password=', async () => {
  const url = 'postgres://owner:userinfopw@127.0.0.1:1/fleet?sslmode=disable&password=querypw';
  const err = await openFleet(url).then(
    () => assert.fail('opened a database on port 1'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HostopsError, String(err));
  assert.equal(err.code, 'FLEET_DB');
  assert.ok(!err.message.includes('userinfopw'), err.message);
  assert.ok(!err.message.includes('querypw'), err.message);
  assert.match(
    err.message,
    /^PostgreSQL at postgres:\/\/owner:\*\*\*@127\.0\.0\.1:1\/fleet\?sslmode=disable&password=\*\*\*: /,
  );
});
