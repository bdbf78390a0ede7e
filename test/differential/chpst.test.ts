// chpst and its personalities, ours against Debian's runit 2.1.2 /usr/bin/chpst:
// every option, every personality, the usage and error paths, and the order
// of the steps (envdir before chroot, the user looked up inside the new root,
// the lock taken there). Each state change is observed from inside the program
// chpst runs: its environment, ids, limits, nice value, session, open fds.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { assertSameAsRunit, BINARY, type Case } from './harness.ts';

/** Runs the case under its name, chpst unless said. */
function same(name: string, c: Partial<Case> & Pick<Case, 'args'>, options: { skip?: string | false } = {}): void {
  test(name, options, async () => {
    await assertSameAsRunit({ program: 'chpst', ...c });
  });
}

/** Whether nobody can run our executable from a scratch directory (a checkout under /root cannot). */
const nobodyRunsOurs = spawnSync('/usr/bin/chpst', ['-u', 'nobody', 'sh', '-c', 'test -x "$1" && cd "$2"', 'sh', BINARY, tmpdir()]).status === 0;
const asNobody: { skip: string | false } = { skip: nobodyRunsOurs ? false : `nobody cannot run ${BINARY} from ${tmpdir()}` };

/** Links in the working directory to the side's own executable (bin/chpst), under runit's names for it. */
function links(dir: string, ...names: string[]): void {
  for (const name of names) symlinkSync('../bin/chpst', join(dir, name));
}

/** What the program sees of its session, process group and stdio, written to a file (stdout may be closed). */
const SESSION = 'read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; echo "group leader: $((pid == pgrp)), session leader: $((pid == sid))"';
/**
 * A program that writes which of the descriptors 0-19 it has to the file it is given (a loop,
 * not `ls /proc/$$/fd`, whose pipe would race; only low numbers, not what the test runner leaks).
 */
function listFds(dir: string): void {
  writeFileSync(join(dir, 'listfds'), '#!/bin/sh\nfor fd in $(seq 0 19); do [ -e /proc/$$/fd/$fd ] && printf "%s " "$fd"; done > "$1"\n', { mode: 0o755 });
}
const FDS = 'for fd in 0 1 2; do if [ -e /proc/$$/fd/$fd ]; then echo "$fd open"; else echo "$fd closed"; fi; done > fds';

/**
 * An envdir with every case of runit's rules: the first line only, trailing
 * blanks and tabs cut, NULs made newlines, an empty line an empty value, an
 * empty file a removal, a subdirectory (skipped by -e, fatal to envdir),
 * dotfiles ignored, a name with `=`, and a dangling link (runit reuses the
 * previous file's value, with a newline added).
 */
function envdir(dir: string, name = 'env', subdirectory = true): void {
  const env = join(dir, name);
  mkdirSync(env);
  writeFileSync(join(env, 'FIRST'), 'first line  \t \nsecond line\n');
  writeFileSync(join(env, 'HOME'), '');
  writeFileSync(join(env, 'NULS'), 'a\0b \n');
  writeFileSync(join(env, 'EMPTYLINE'), '\n');
  writeFileSync(join(env, 'LANG'), 'en_US.UTF-8');
  writeFileSync(join(env, '.hidden'), 'never');
  writeFileSync(join(env, 'K=V'), 'value');
  writeFileSync(join(env, 'PATH'), '/nonexistent');
  symlinkSync('nowhere', join(env, 'DANGLING'));
  if (subdirectory) mkdirSync(join(env, 'subdirectory'));
}

/** A root to chroot into: /bin/sh with the libraries ldd names, and its own users and groups. */
function makeRoot(dir: string): void {
  const root = join(dir, 'root');
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  copyFileSync('/bin/sh', join(root, 'bin', 'sh'));
  chmodSync(join(root, 'bin', 'sh'), 0o755);
  for (const library of execFileSync('ldd', ['/bin/sh'], { encoding: 'utf8' }).matchAll(/(\/\S+) \(0x/g)) {
    const path = library[1]!;
    mkdirSync(join(root, dirname(path)), { recursive: true });
    copyFileSync(path, join(root, path));
  }
  writeFileSync(join(root, 'etc', 'passwd'), 'inner:x:4242:4243::/:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'innergroup:x:4244:\n');
}
const ignoreRootFiles = (path: string): boolean => /^root\/(bin|lib|lib64|usr)\//.test(path);

/** The scratch directories open to another user, for the cases that change user and then run our program again or write. */
function openToAll(dir: string, writable = false): void {
  chmodSync(dirname(dir), 0o755);
  chmodSync(dir, writable ? 0o777 : 0o755);
}

// runit's own chpst.check, case by case.
same('chpst.check: no arguments is a usage error, 100', { args: [] });
same('chpst.check: -V prints the version, then the usage', { args: ['-V', 'true'] });
same('chpst.check: -e sets a variable from a file', {
  args: ['-eenv', 'sh', '-c', 'env | sed -ne "/^test=1$/p"'],
  setup: (dir) => {
    mkdirSync(join(dir, 'env'));
    writeFileSync(join(dir, 'env', 'test'), '1\n');
  },
});
same('chpst.check: -l takes a lock', { args: ['-llock', 'true'] });
same('chpst.check: -L takes a lock', { args: ['-Llock', 'true'] });
same('chpst.check: -P', { args: ['-P', 'true'] });
same('chpst.check: -012', { args: ['-012', 'true'] });

// Usage and option errors.
same('an unknown option', { args: ['-x', 'true'] });
same('an unknown option in a cluster, after valid ones', { args: ['-vPq', 'true'] });
same('an option without its argument', { args: ['-u'] });
same('options but no program', { args: ['-v', '-P'] });
same('a malformed number', { args: ['-m', '12k', 'true'] });
same('a malformed nice value', { args: ['-n', '+-1', 'true'] });
same('-l and -L together', { args: ['-l', 'a', '-L', 'b', 'true'] });
same('-- ends the options, and so does any word starting with --', { args: ['--', 'sh', '-c', 'echo "$0"'] });
same('--anything is taken as the end of options', { args: ['--verbose', 'sh', '-c', 'echo "$0"'] });
same('a lone - is the program', { args: ['-v', '-', 'x'] });

// -u and -U.
same('-u user: its uid, its group, no other groups', { args: ['-u', 'nobody', 'id'] });
same('-u user:group', { args: ['-u', 'nobody:daemon', 'id'] });
same('-u user:group:group:group', { args: ['-u', 'daemon:bin:sys:adm', 'id'] });
same('-u :uid:gid:gid, numbers not looked up', { args: ['-u', ':4242:4243:4244', 'id'] });
same('-u :uid: is group 0', { args: ['-u', ':4242:', 'id'] });
same('-u :uid alone is invalid', { args: ['-u', ':4242', 'id'] });
same('-u :x is invalid', { args: ['-u', ':x', 'id'] });
same('-u an unknown user', { args: ['-u', 'nosuchuser', 'id'] });
same('-u an unknown group', { args: ['-u', 'nobody:nosuchgroup', 'id'] });
same('-u user: with an empty group', { args: ['-u', 'nobody:', 'id'] });
same('-u the empty user', { args: ['-u', '', 'id'] });
same('-U user sets $UID and $GID, appended after the environment', { args: ['-U', 'daemon', 'env'] });
same('-U user:group, and -u still sets the ids', { args: ['-U', 'daemon:adm', '-u', 'nobody', 'sh', '-c', 'echo "UID=$UID GID=$GID"; id'] });
same('-U :uid:gid', { args: ['-U', ':77:88', 'sh', '-c', 'echo "UID=$UID GID=$GID"'] });
same('-U an unknown user', { args: ['-U', 'nosuchuser', 'true'] });
same('-u as a user that cannot change users: setgroups fails', {
  args: ['-u', 'nobody', './chpst', '-u', 'daemon', 'true'],
  setup: (dir) => {
    openToAll(dir);
    links(dir, 'chpst');
  },
}, asNobody);

// -e: envdir.
same('-e: every rule of envdir, in the order runit builds the environment', {
  args: ['-e', 'env', 'env'],
  env: { A: 'old', FIRST: 'replaced' },
  setup: (dir) => envdir(dir),
});
same('-e: the program is looked up in chpst\'s own $PATH, not the envdir\'s', { args: ['-e', 'env', 'sh', '-c', 'echo "$PATH"'], setup: (dir) => envdir(dir) });
same('-v -e: a subdirectory is skipped with a warning', { args: ['-v', '-e', 'env', 'true'], setup: (dir) => envdir(dir) });
same('-e: a directory that does not exist', { args: ['-e', 'nosuchdir', 'true'] });
same('-e: a file, not a directory', { args: ['-e', 'file', 'true'], setup: (dir) => writeFileSync(join(dir, 'file'), '') });
same('-e: the empty name', { args: ['-e', '', 'true'] });
same('-e: the working directory is kept', { args: ['-e', 'env', 'sh', '-c', 'pwd | sed "s|.*/||"'], setup: (dir) => envdir(dir) });

// -b.
same('-b argv0', { args: ['-b', 'renamed', 'sh', '-c', 'echo "$0"'] });
same('-b argv0 when the program is missing names argv0', { args: ['-b', 'renamed', 'nosuchprogram'] });

// -/: chroot, and what happens before and after it.
same('-/ root: the program runs in the new root, from its top', { args: ['-/', 'root', 'sh', '-c', 'echo "$PWD"; echo *'], setup: makeRoot, ignoreFiles: ignoreRootFiles });
same('-/ root: -e was read before the chroot, from the old working directory', {
  args: ['-e', 'env', '-/', 'root', 'sh', '-c', 'echo "FIRST=$FIRST"'],
  setup: (dir) => {
    makeRoot(dir);
    envdir(dir, 'env', false);
  },
  ignoreFiles: ignoreRootFiles,
});
same('-/ root: -U looks the user up in the new root', { args: ['-/', 'root', '-U', 'inner:innergroup', 'sh', '-c', 'echo "$UID $GID"'], setup: makeRoot, ignoreFiles: ignoreRootFiles });
same('-/ root: -u looks the user up in the new root', {
  args: ['-/', 'root', '-u', 'inner', 'sh', '-c', 'echo x > /etc/probe || echo "not root"'],
  setup: makeRoot,
  ignoreFiles: ignoreRootFiles,
});
same('-/ root: a user of the old root is unknown in the new one', { args: ['-/', 'root', '-u', 'nobody', 'true'], setup: makeRoot, ignoreFiles: ignoreRootFiles });
same('-/ root: without /etc/passwd in it the lookup fails', {
  args: ['-/', 'root', '-u', 'nobody', 'true'],
  // Ours names the file it could not read (README, "Differences from the reference"); the rest is runit's line.
  normalize: (text) => text.replace('entry: /etc/passwd: ', 'entry: '),
  setup: (dir) => {
    mkdirSync(join(dir, 'root'));
  },
});
same('-/ root: the lock is taken inside the new root', { args: ['-/', 'root', '-L', 'lock', 'sh', '-c', 'echo *'], setup: makeRoot, ignoreFiles: ignoreRootFiles });
same('-/ root: a program missing in the new root', { args: ['-/', 'root', 'id'], setup: makeRoot, ignoreFiles: ignoreRootFiles });
same('-/ a root that does not exist', { args: ['-/', 'nosuchroot', 'true'] });

// -n: nice.
for (const value of ['5', '+3', '-4', '0', '', '-', '100', '-100', '4294967297', '18446744073709551615']) {
  same(`-n ${JSON.stringify(value)}`, { args: ['-n', value, 'nice'] });
}
same('-n below the current value, as a user who may not', {
  args: ['-u', 'nobody', './chpst', '-n', '-1', 'true'],
  setup: (dir) => {
    openToAll(dir);
    links(dir, 'chpst');
  },
}, asNobody);
same('-n after -u: raising it is allowed', { args: ['-u', 'nobody', '-n', '7', 'nice'] });

// -l and -L: locks.
same('-L a lock held by another process fails at once', {
  args: ['-L', 'lock', 'sh', '-c', './chpst -L lock echo not reached; echo "rc=$?"'],
  setup: (dir) => links(dir, 'chpst'),
});
same('-l waits for the lock', {
  args: ['sh', '-c', './chpst -L lock sleep 0.5 & sleep 0.2; ./chpst -l lock echo waited; echo "rc=$?"'],
  setup: (dir) => links(dir, 'chpst'),
});
same('-L: the program holds the lock; the file is made 0600', {
  args: ['-L', 'lock', 'sh', '-c', '/usr/bin/chpst -L lock true; echo "rc=$?"'],
});
same('-L: the program finds the lock at the lowest descriptor chpst was not given', {
  args: ['sh', '-c', './chpst -L lock ./listfds fds1; exec 3<file 4<file 6<file; ./chpst -L lock ./listfds fds2'],
  setup: (dir) => {
    writeFileSync(join(dir, 'file'), '');
    links(dir, 'chpst');
    listFds(dir);
  },
});
same('setlock: the program finds the lock at the lowest descriptor chpst was not given', {
  program: 'setlock',
  args: ['lock', './listfds', 'fds'],
  setup: listFds,
});
same('-L with limits and a program that does not exist', { args: ['-L', 'lock', '-o', '4', '-m', '100000000', 'nosuchprogram'] });
same('-L a lock that cannot be opened', { args: ['-L', 'nosuchdir/lock', 'true'] });
same('-l the empty name', { args: ['-l', '', 'true'] });

// Limits.
same('-m -d -o -p -f -c -r -t, seen in /proc/self/limits', {
  args: ['-m', '300000000', '-d', '200000000', '-o', '64', '-p', '500', '-f', '1000000', '-c', '0', '-r', '100000000', '-t', '100', 'cat', '/proc/self/limits'],
});
same('-m sets data, stack, memlock and address space', { args: ['-m', '100000000', 'cat', '/proc/self/limits'] });
same('limits seen by ulimit', { args: ['-o', '50', '-f', '2000', 'sh', '-c', 'ulimit -a'] });
same('a limit above the hard limit is the hard limit', { args: ['-o', '99999999999', 'sh', '-c', 'ulimit -n'] });
same('a limit that wraps past 2^64 is 0', { args: ['-o', '18446744073709551616', 'sh', '-c', 'ulimit -n; echo after'] });
same('the empty limit is 0', { args: ['-c', '', 'sh', '-c', 'ulimit -c'] });
same('a program that does not start under its limits', { args: ['-o', '0', 'nosuchprogram'] });

// -P and -0 -1 -2.
same('without -P the program is in our process group', { args: ['sh', '-c', SESSION] });
same('-P: a new session', { args: ['-P', 'sh', '-c', SESSION] });
same('descriptors beyond stdio that chpst is given are passed on', {
  args: ['sh', '-c', 'exec 3<file 5>/dev/null 7<. 9>>file 11>&1 12>&1; ./chpst ./listfds fds'],
  setup: (dir) => {
    writeFileSync(join(dir, 'file'), 'content\n');
    links(dir, 'chpst');
    listFds(dir);
  },
});
same('descriptors beyond stdio are passed on with -u, and with -P and limits', {
  args: ['sh', '-c', 'exec 3<file 4>&1; ./chpst -u daemon ./listfds fds1; ./chpst -P -o 100 ./listfds fds2'],
  setup: (dir) => {
    openToAll(dir, true);
    writeFileSync(join(dir, 'file'), 'content\n');
    links(dir, 'chpst');
    listFds(dir);
  },
});
same('-0 -1 -2: closed for the program', { args: ['-012', 'sh', '-c', FDS] });
same('-1: only stdout closed', { args: ['-1', 'sh', '-c', FDS] });
same('-0 -2 with a failing exec: the error is not seen', { args: ['-0', '-2', 'nosuchprogram'] });
same('-0 with a failing exec', { args: ['-0', 'nosuchprogram'] });

// exec.
same('a program that does not exist', { args: ['nosuchprogram'] });
same('a path that does not exist', { args: ['/nonexistent/program'] });
same('a file that is not executable', {
  args: ['./script'],
  setup: (dir) => writeFileSync(join(dir, 'script'), '#!/bin/sh\necho hi\n', { mode: 0o644 }),
});
same('a file that is not executable, found in $PATH', {
  args: ['notexecutable'],
  env: { PATH: '.:/usr/bin:/bin' },
  setup: (dir) => writeFileSync(join(dir, 'notexecutable'), '#!/bin/sh\necho hi\n', { mode: 0o644 }),
});
same('a file that is not executable, then the same name further along $PATH', {
  args: ['dual', 'argument'],
  env: { PATH: 'first:second:/usr/bin:/bin' },
  setup: (dir) => {
    mkdirSync(join(dir, 'first'));
    mkdirSync(join(dir, 'second'));
    writeFileSync(join(dir, 'first', 'dual'), '#!/bin/sh\necho first\n', { mode: 0o644 });
    writeFileSync(join(dir, 'second', 'dual'), '#!/bin/sh\necho "second $1"\n', { mode: 0o755 });
  },
});
same('a script whose interpreter is missing: the search goes on', {
  args: ['dual'],
  env: { PATH: 'first:second:/usr/bin:/bin' },
  setup: (dir) => {
    mkdirSync(join(dir, 'first'));
    mkdirSync(join(dir, 'second'));
    writeFileSync(join(dir, 'first', 'dual'), '#!/nonexistent/sh\necho first\n', { mode: 0o755 });
    writeFileSync(join(dir, 'second', 'dual'), '#!/bin/sh\necho second\n', { mode: 0o755 });
  },
});
same('the same searches under a limit (each file probed, then executed under the limits)', {
  args: ['sh', '-c', 'PATH=first:second:/usr/bin:/bin ../bin/chpst -m 200000000 -o 50 dual x; PATH=.:/usr/bin:/bin ../bin/chpst -o 50 notexecutable; echo "rc=$?"'],
  setup: (dir) => {
    mkdirSync(join(dir, 'first'));
    mkdirSync(join(dir, 'second'));
    writeFileSync(join(dir, 'notexecutable'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
    writeFileSync(join(dir, 'first', 'dual'), '#!/nonexistent/sh\necho first\n', { mode: 0o755 });
    writeFileSync(join(dir, 'second', 'dual'), '#!/bin/sh\necho "second $1"; ulimit -n\n', { mode: 0o755 });
  },
});
same('an executable that is no program (exec format error)', {
  args: ['./script'],
  setup: (dir) => writeFileSync(join(dir, 'script'), 'echo hi\n', { mode: 0o755 }),
});
same('a directory', { args: ['/tmp'] });
same('$PATH with a file in it stops the search', {
  args: ['true'],
  env: { PATH: 'file:/usr/bin:/bin' },
  setup: (dir) => writeFileSync(join(dir, 'file'), ''),
});
same('an empty $PATH entry is the working directory', {
  args: ['script'],
  env: { PATH: ':/usr/bin:/bin' },
  setup: (dir) => writeFileSync(join(dir, 'script'), '#!/bin/sh\necho "ran $0"\n', { mode: 0o755 }),
});
same('the empty program name', { args: [''] });
same('the exit code and output of the program are its own', { args: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
same('signals are at their defaults in the program', { args: ['sh', '-c', 'grep -E "^Sig(Blk|Ign)" /proc/self/status'] });

// Every option at once, in runit's order.
same('every option at once', {
  args: ['-v', '-P', '-U', 'daemon', '-u', 'nobody:nogroup', '-b', 'name', '-e', 'env', '-n', '3', '-L', 'lock', '-m', '200000000', '-o', '77', '-2',
    'sh', '-c', `echo "$0 UID=$UID GID=$GID FIRST=$FIRST"; id; nice; ulimit -n; ${SESSION}; ${FDS}`],
  setup: (dir) => {
    openToAll(dir, true);
    mkdirSync(join(dir, 'env'));
    writeFileSync(join(dir, 'env', 'FIRST'), 'first\n');
  },
});

// The personalities.
same('envdir: usage', { program: 'envdir', args: ['env'] });
same('envdir dir child', { program: 'envdir', args: ['env', 'env'], setup: (dir) => envdir(dir, 'env', false) });
same('envdir: a subdirectory is fatal', { program: 'envdir', args: ['env', 'true'], setup: (dir) => envdir(dir) });
same('envdir: a missing directory', { program: 'envdir', args: ['nosuchdir', 'true'] });
same('envdir: the program is missing', { program: 'envdir', args: ['env', 'nosuchprogram'], setup: (dir) => envdir(dir, 'env', false) });
same('envuidgid: usage', { program: 'envuidgid', args: [] });
same('envuidgid account child', { program: 'envuidgid', args: ['daemon', 'sh', '-c', 'echo "UID=$UID GID=$GID"; id -u'] });
same('envuidgid: user:group is no account', { program: 'envuidgid', args: ['daemon:adm', 'true'] });
same('envuidgid: an unknown account', { program: 'envuidgid', args: ['nosuchuser', 'true'] });
same('setuidgid: usage', { program: 'setuidgid', args: ['nobody'] });
same('setuidgid account child', { program: 'setuidgid', args: ['nobody', 'id'] });
same('setuidgid: options are not parsed', { program: 'setuidgid', args: ['-u', 'id'] });
same('setuidgid: an unknown account', { program: 'setuidgid', args: ['nosuchuser', 'id'] });
same('pgrphack: usage', { program: 'pgrphack', args: [] });
same('pgrphack child', { program: 'pgrphack', args: ['sh', '-c', SESSION] });
same('pgrphack: the program is missing', { program: 'pgrphack', args: ['nosuchprogram'] });
same('setlock: usage', { program: 'setlock', args: ['lock'] });
same('setlock: an unknown option', { program: 'setlock', args: ['-z', 'lock', 'true'] });
same('setlock file program', { program: 'setlock', args: ['lock', 'sh', '-c', 'echo locked'] });
same('setlock: a held lock fails without -n; -N is the same; -x exits 0, silently', {
  args: ['-L', 'lock', 'sh', '-c', './setlock lock echo no; echo "rc=$?"; ./setlock -N lock echo no; echo "rc=$?"; ./setlock -x lock echo no; echo "rc=$?"; ./setlock -xX lock echo no; echo "rc=$?"'],
  setup: (dir) => links(dir, 'setlock'),
});
same('setlock -n waits for a held lock (runit\'s -n, unlike daemontools\')', {
  args: ['sh', '-c', './chpst -L lock sleep 0.5 & sleep 0.2; ./setlock -n lock echo waited; echo "rc=$?"'],
  setup: (dir) => links(dir, 'chpst', 'setlock'),
});
same('setlock: an unopenable lock, and with -x', {
  args: ['sh', '-c', './setlock nosuchdir/lock true; echo "rc=$?"; ./setlock -x nosuchdir/lock true; echo "rc=$?"'],
  setup: (dir) => links(dir, 'setlock'),
});
same('setlock: a missing program, and with -x', {
  args: ['sh', '-c', './setlock lock nosuchprogram; echo "rc=$?"; ./setlock -x lock nosuchprogram; echo "rc=$?"'],
  setup: (dir) => links(dir, 'setlock'),
});
same('softlimit: usage', { program: 'softlimit', args: ['-o', '5'] });
same('softlimit: an unknown option', { program: 'softlimit', args: ['-z', '5', 'true'] });
same('softlimit: an option without its argument', { program: 'softlimit', args: ['-m'] });
same('softlimit: a malformed number gets chpst\'s usage', { program: 'softlimit', args: ['-m', 'x', 'true'] });
same('softlimit -a -c -d -f -l -o -p -r -s -t', {
  program: 'softlimit',
  args: ['-a', '400000000', '-c', '0', '-d', '300000000', '-f', '2000000', '-l', '65536', '-o', '100', '-p', '300', '-r', '50000000', '-s', '1000000', '-t', '50', 'cat', '/proc/self/limits'],
});
same('softlimit -m', { program: 'softlimit', args: ['-m', '300000000', 'cat', '/proc/self/limits'] });
same('softlimit: = is the hard limit', { program: 'softlimit', args: ['-o', '=', '-c', '=', 'cat', '/proc/self/limits'] });
same('softlimit: the program is missing', { program: 'softlimit', args: ['-o', '50', 'nosuchprogram'] });
same('a name starting with d is the name without it (runit strips it)', {
  args: ['sh', '-c', './denvdir; echo "rc=$?"; ./denvdir env env'],
  setup: (dir) => {
    links(dir, 'denvdir');
    envdir(dir, 'env', false);
  },
});
/** A root whose /etc/passwd and /etc/group have comments, blanks, short, malformed, NIS and repeated lines. */
function unusualAccounts(dir: string): void {
  makeRoot(dir);
  writeFileSync(join(dir, 'root', 'etc', 'passwd'), '# a comment\n\nroot:x:0:0:root:/root:/bin/bash\n  indented:x:7:8:g:/home:/bin/sh\nshort:x:9:10\nbroken:x::10::/:/bin/sh\nbroken:x:11:12::/:/bin/sh\n+nis:x:1:1::/:/bin/sh\nroot:x:99:99::/:/bin/sh\n');
  writeFileSync(join(dir, 'root', 'etc', 'group'), 'daemon:x:1:\nstaff:x::\nstaff:x:50:alice,bob\nlast:x:7\n');
}
for (const user of ['root', 'indented', 'short', 'broken', '+nis', '#', 'root:staff', 'root:last', 'root:daemon', 'root:nosuch']) {
  same(`-U ${user}: found as getpwnam and getgrnam find it`, {
    args: ['-/', 'root', '-U', user, 'sh', '-c', 'echo "$UID $GID"'],
    setup: unusualAccounts,
    ignoreFiles: ignoreRootFiles,
  });
}
