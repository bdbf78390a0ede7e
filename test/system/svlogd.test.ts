// svlogd as images use it: `exec svlogd -tt DIR` as a service's log/run under my_init.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BINARY, runAndClean, script } from './harness.ts';

test('a service logged by our svlogd: its lines land in current, stamped, and survive sv restart of the logger', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', `
      until grep -q second /etc/service/talker/log/main/current 2>/dev/null; do sleep 0.05; done
      sv restart /etc/service/talker/log >/dev/null
      until grep -q third /etc/service/talker/log/main/current 2>/dev/null; do sleep 0.05; done
      sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:]{8}\\.[0-9]{5} /STAMP /' /etc/service/talker/log/main/current
      ls /etc/service/talker/log/main | grep -c '^@' || true`],
    env: { SVDIR: '/etc/service', KILL_PROCESS_TIMEOUT: '1' },
    files: {
      '/etc/ours/svlogd': { symlink: BINARY },
      '/etc/service/talker/run': script('echo first; echo second; while ! test -e /etc/service/talker/restarted; do sleep 0.05; done; echo third; exec sleep 1000'),
      '/etc/service/talker/log/run': script('test -e /etc/service/talker/log/started && : > /etc/service/talker/restarted; : > /etc/service/talker/log/started; mkdir -p main; exec /etc/ours/svlogd -tt main'),
    },
  });
  // The logger's restart finishes current (0744) and the new one appends to it: no rotation, nothing lost.
  assert.equal(r.stdout.trimEnd(), 'STAMP first\nSTAMP second\nSTAMP third\n0', r.stdout + r.stderr);
});
