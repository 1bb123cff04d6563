/**
 * systemd/setup-service.sh as root, in a private mount namespace over a copy of /etc (so the
 * user, unit and config it writes vanish with the test), with a stand-in `hostops` in
 * /usr/local/bin: the hostops user, the unit, the Exim group drop-in for the groups that own
 * the spool and log here, a config, idempotence, and systemd-analyze verify on the result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

test('setup-service.sh installs the user, unit, Exim groups drop-in and config, idempotently', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-svc-'));
  try {
    const script = `set -e
cp -a /etc ${dir}/etc && mount --bind ${dir}/etc /etc
mkdir -p ${dir}/bin && mount --bind ${dir}/bin /usr/local/bin
printf '#!/bin/sh\\n' > /usr/local/bin/hostops && chmod +x /usr/local/bin/hostops
bash ${ROOT}/systemd/setup-service.sh --no-start
echo ---second
bash ${ROOT}/systemd/setup-service.sh --no-start
echo ---user; getent passwd hostops | cut -d: -f1,6,7
echo ---dropin; cat /etc/systemd/system/hostops.service.d/exim-groups.conf
echo ---unit; cmp /etc/systemd/system/hostops.service ${ROOT}/systemd/hostops.service && echo same
echo ---config; head -c 300 /etc/hostops/hostops.yaml
echo ---verify; systemd-analyze verify /etc/systemd/system/hostops.service 2>&1; echo "verify rc=$?"
`;
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [first, rest] = r.stdout.split('---second\n');
    assert.match(first, /created the system user hostops/);
    assert.match(first, /wrote \/etc\/hostops\/hostops\.yaml/);
    assert.doesNotMatch(
      rest.split('---user')[0],
      /created|wrote/,
      'the second run changed nothing',
    );
    assert.match(rest, /---user\nhostops:\/var\/lib\/hostops:\/usr\/sbin\/nologin\n/);
    // on this Debian host: the spool is Debian-exim's, /var/log/exim4 is adm's
    const want = [
      ...new Set(
        ['/var/spool/exim4', '/var/log/exim4']
          .filter((p) => fs.existsSync(p))
          .map((p) => spawnSync('stat', ['-c', '%G', p], { encoding: 'utf8' }).stdout.trim()),
      ),
    ].join(' ');
    assert.match(
      rest,
      new RegExp(
        `---dropin\\n# written by setup-service.sh[^\\n]*\\n\\[Service\\]\\nSupplementaryGroups=${want}\\n`,
      ),
    );
    assert.match(rest, /---unit\nsame\n/);
    assert.match(rest, /---config\n# hostops serve/);
    assert.match(rest, /---verify\nverify rc=0\n$/);
    // nothing leaked out of the namespace
    assert.equal(spawnSync('getent', ['passwd', 'hostops']).status, 2);
    assert.equal(fs.existsSync('/etc/systemd/system/hostops.service'), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
