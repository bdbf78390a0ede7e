// The sv and setuser programs of the executable, reached through links named after them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BINARY, PRELUDE, runAndClean, script } from './harness.ts';

const SERVICES = {
  '/etc/ours/sv': { symlink: BINARY },
  '/etc/ours/setuser': { symlink: BINARY },
  '/etc/service/demo/run': script('exec sleep 1000'),
  '/etc/service/downsvc/run': script('exec sleep 1000'),
  '/etc/service/downsvc/down': '',
  '/etc/service/logged/run': script('exec sleep 1000'),
  '/etc/service/logged/log/run': script('exec cat > /dev/null'),
  '/etc/service/stubborn/run': script('trap "" TERM; : > trapped; while :; do sleep 0.1; done'),
  '/etc/service/checked/run': script('exec sleep 1000'),
  '/etc/service/checked/check': script('exit 1'),
};

test("our sv prints what runit's sv prints, with the same exit codes, in every state", async () => {
  // Each step changes a state with one sv, waits until the supervisor has acted on it (a moment
  // is not enough on a busy machine, and the change could then fall between the two), then both report it.
  const steps = [
    'sleep 1.1',
    'compare status demo downsvc logged stubborn /etc/service/demo nosuch',
    `sv pause demo; wait_for 'sv status demo | grep -q ", paused"'; compare status demo; sv cont demo`,
    `wait_for '[ -e /etc/service/stubborn/trapped ]'; sv down stubborn; wait_for 'sv status stubborn | grep -q "got TERM"'; compare status stubborn`,
    'compare -w 1 check stubborn',
    'compare -w 1 check checked',
    `sv once downsvc; wait_for 'sv status downsvc | grep -q "^run: "'; compare status downsvc`,
    '/etc/ours/sv -w 3 down demo >/dev/null; compare status demo',
    // A command that changes state cannot be run twice side by side: change it, then compare.
    '/etc/ours/sv -w 3 up downsvc >/dev/null; sleep 0.2; compare status downsvc',
  ];
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', `${PRELUDE}
      compare() {
        # The two run a moment apart: the seconds may differ, nothing else may.
        real=$(/usr/bin/sv "$@" 2>&1 | sed -E 's/ [0-9]+s/ Ns/g'; echo "rc=\${PIPESTATUS[0]}")
        ours=$(/etc/ours/sv "$@" 2>&1 | sed -E 's/ [0-9]+s/ Ns/g'; echo "rc=\${PIPESTATUS[0]}")
        if [ "$real" = "$ours" ]; then echo "same: $*"; else printf 'DIFFERENT: %s\\nreal: %s\\nours: %s\\n' "$*" "$real" "$ours"; fi
      }
      ${steps.join('\n')}`],
    env: { SVDIR: '/etc/service', KILL_PROCESS_TIMEOUT: '1' },
    files: SERVICES,
  });
  assert.doesNotMatch(r.stdout, /DIFFERENT|wait_for timed out/, r.stdout);
  assert.equal(r.stdout.split('\n').filter((line) => line.startsWith('same: ')).length, 8, r.stdout);
});

test('sv: usage errors exit 100, an unsupervised service counts as a failure', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', '/etc/ours/sv; echo "rc=$?"; /etc/ours/sv bogus demo; echo "rc=$?"; /etc/ours/sv status nosuch demo; echo "rc=$?"'],
    env: { SVDIR: '/etc/service' },
    files: { '/etc/ours/sv': { symlink: BINARY }, '/etc/service/demo/run': script('exec sleep 1000') },
  });
  assert.match(r.stdout, /^usage: sv \[-v\] \[-w sec\] command service \.\.\.\n\nrc=100\nusage: sv .*\n\nrc=100\nfail: nosuch: unable to change to service directory: file does not exist\nrun: demo: \(pid \d+\) \d+s\nrc=1$/);
});

test('setuser runs a command as the user with HOME, USER and UID set; errors as the reference', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', [
      'cd /tmp; /etc/ours/setuser nobody sh -c \'id -u; id -g; echo "HOME=$HOME USER=$USER UID=$UID PWD=$PWD KEEP=$KEEP"\'',
      '/etc/ours/setuser; echo "rc=$?"',
      '/etc/ours/setuser nobodyx id; echo "rc=$?"',
      '/etc/ours/setuser 65534 id; echo "rc=$?"',
      '/etc/ours/setuser nobody /nonexistent; echo "rc=$?"',
    ].join('; ')],
    env: { KEEP: 'kept' },
    files: { '/etc/ours/setuser': { symlink: BINARY } },
  });
  const home = r.stdout.split('\n')[2]!;
  assert.deepEqual(r.stdout.split('\n').slice(0, 2), ['65534', '65534']);
  assert.match(home, /^HOME=\/nonexistent USER=nobody UID=65534 PWD=\/tmp KEEP=kept$/);
  assert.match(r.stdout, /Usage: \/sbin\/setuser USERNAME COMMAND \[args\.\.\]\nrc=1\n/);
  assert.match(r.stdout, /setuser: user nobodyx not found\nrc=1\nsetuser: user 65534 not found\nrc=1\n/);
  assert.match(r.stdout, /setuser: cannot execute \/nonexistent: no such file or directory\nrc=1$/);
});

test('sv as an init.d script: /etc/init.d/NAME -> sv -> my_init acts on the service NAME of our supervisor, as runit\'s sv does', async () => {
  const steps = [
    'sleep 1.1',
    'compare status',
    'compare stop',
    'compare status',
    'compare start',
    'compare status',
    'compare bogus',
  ];
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', `
      compare() {
        # Debian's sv under the same name, through its own init.d-style link; ours through service(8) and /etc/init.d/web.
        real=$(/etc/real-init.d/web "$@" 2>&1 | sed -E 's/ [0-9]+s/ Ns/g; s/pid [0-9]+/pid N/g'; echo "rc=\${PIPESTATUS[0]}")
        ours=$(service web "$@" 2>&1 | sed -E 's/ [0-9]+s/ Ns/g; s/pid [0-9]+/pid N/g'; echo "rc=\${PIPESTATUS[0]}")
        if [ "$real" = "$ours" ]; then echo "same: $* -> $ours" | tr '\\n' ' '; echo; else printf 'DIFFERENT: %s\\nreal: %s\\nours: %s\\n' "$*" "$real" "$ours"; fi
      }
      ${steps.join('\n')}`],
    files: {
      '/etc/ours/sv': { symlink: BINARY },
      '/etc/init.d/web': { symlink: '/etc/ours/sv' },
      '/etc/real-init.d/web': { symlink: '/usr/bin/sv' },
      '/etc/service/web/run': script('exec sleep 1000'),
    },
  });
  assert.doesNotMatch(r.stdout, /DIFFERENT/, r.stdout);
  assert.equal(r.stdout.split('\n').filter((line) => line.startsWith('same: ')).length, 6, r.stdout);
  // The states went through: running (0), down (3), running again, and usage (2).
  assert.match(r.stdout, /same: status -> run: web: \(pid N\) Ns rc=0/);
  assert.match(r.stdout, /same: status -> down: web: Ns, normally up rc=3/);
  assert.match(r.stdout, /same: bogus -> usage: web \[-w sec\] command {2}rc=2/);
});

test("setuser's supplementary groups are those the reference's os.initgroups set, with and without other NSS sources", async () => {
  const group = `${readFileSync('/etc/group', 'utf8')}extra1:x:5001:nobody\n  extra2:x:5002:root, nobody\n+nis:x:5003:nobody\nnotmine:x:5004:nobodyx\nextra1again:x:5001:nobody\n`;
  const reference = `python3 -c 'import os; os.initgroups("nobody", 65534); os.setgid(65534); os.setuid(65534); os.execvp("id", ["id", "-G"])'`;
  for (const nsswitch of ['group: files\n', 'group: files systemd\n', 'group:  files [NOTFOUND=return] # comment\n', 'group: compat\n']) {
    const r = await runAndClean({
      args: ['--quiet', '--', 'bash', '-c', `echo "ours: $(/etc/ours/setuser nobody id -G)"; echo "reference: $(${reference})"`],
      files: { '/etc/ours/setuser': { symlink: BINARY }, '/etc/group': group, '/etc/nsswitch.conf': nsswitch },
    });
    const ours = /^ours: (.*)$/m.exec(r.stdout)?.[1];
    assert.ok(ours?.split(' ').includes('5001'), `${nsswitch}: ${r.stdout}${r.stderr}`);
    assert.equal(ours, /^reference: (.*)$/m.exec(r.stdout)?.[1], `${nsswitch}: ${r.stdout}${r.stderr}`);
  }
});

test('with no /etc/passwd (an image FROM scratch), setuser and chpst -u fail in one line; what needs no user still works', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', [
      // The sandbox's /etc is an overlay: removing them here leaves the machine's alone.
      'rm /etc/passwd /etc/group',
      '/etc/ours/setuser nobody true; echo "rc=$?"',
      '/etc/ours/chpst -u nobody true; echo "rc=$?"',
      '/etc/ours/chpst -n 1 true; echo "rc=$?"',
      '/etc/ours/chpst -u :65534:65534 id -u; echo "rc=$?"',
      'for i in $(seq 100); do [ -s /etc/service/demo/supervise/pid ] && break; sleep 0.1; done',
      '/etc/ours/sv status demo; echo "rc=$?"',
    ].join('; ')],
    env: { SVDIR: '/etc/service' },
    files: {
      '/etc/ours/setuser': { symlink: BINARY },
      '/etc/ours/chpst': { symlink: BINARY },
      '/etc/ours/sv': { symlink: BINARY },
      '/etc/service/demo/run': script('exec sleep 1000'),
    },
  });
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 7), [
    'setuser: cannot read /etc/passwd: no such file or directory', 'rc=1',
    // runit's own words, as Debian's chpst prints them when the file is missing, and the file's name, which Debian's leaves out.
    'chpst: fatal: unable to get password/group file entry: /etc/passwd: file does not exist', 'rc=111',
    'rc=0',
    '65534', 'rc=0',
  ], r.all);
  assert.match(lines.slice(7).join('\n'), /^run: demo: \(pid \d+\) \d+s\nrc=0$/, r.all);
});
