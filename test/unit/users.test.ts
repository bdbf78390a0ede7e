// Users and groups looked up as glibc's getpwnam and getgrnam do (src/users.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findGroup, findUser, groupsAreFiles, memberGroups, nisLinesAreGroups } from '../../src/users.ts';

const PASSWD = [
  '# a comment: never a user',
  '',
  'root:x:0:0:root:/root:/bin/bash',
  '  indented:x:7:8:gecos:/home/indented:/bin/sh',
  'short:x:9:10',
  'broken:x::10::/:/bin/sh',
  'broken:x:11:12::/second:/bin/sh',
  '+nis:x:1:1::/:/bin/sh',
  'root:x:99:99:second root:/other:/bin/sh',
].join('\n');

test('findUser: the first well-formed line of the name; blanks before the name skipped', () => {
  assert.deepEqual(findUser(PASSWD, 'root'), { name: 'root', uid: 0, gid: 0, home: '/root' });
  assert.deepEqual(findUser(PASSWD, 'indented'), { name: 'indented', uid: 7, gid: 8, home: '/home/indented' });
});

test('findUser: missing trailing fields are empty; a malformed line is skipped for the next', () => {
  assert.deepEqual(findUser(PASSWD, 'short'), { name: 'short', uid: 9, gid: 10, home: '' });
  assert.deepEqual(findUser(PASSWD, 'broken'), { name: 'broken', uid: 11, gid: 12, home: '/second' });
});

test('findUser: comments, NIS lines and unknown names are nobody', () => {
  assert.equal(findUser(PASSWD, '# a comment'), null);
  assert.equal(findUser(PASSWD, '+nis'), null);
  assert.equal(findUser(PASSWD, 'nosuchuser'), null);
  assert.equal(findUser(PASSWD, ''), null);
  assert.equal(findUser(PASSWD, '0'), null, 'by name only, never by number');
});

test('findGroup: name and gid; a line without its gid is skipped', () => {
  const group = 'daemon:x:1:\nstaff:x::\nstaff:x:50:alice,bob\nlast:x:7';
  assert.deepEqual(findGroup(group, 'daemon'), { name: 'daemon', gid: 1 });
  assert.deepEqual(findGroup(group, 'staff'), { name: 'staff', gid: 50 });
  assert.deepEqual(findGroup(group, 'last'), { name: 'last', gid: 7 });
  assert.equal(findGroup(group, 'nosuchgroup'), null);
});

test('memberGroups: the primary group, then each group naming the user, once each, in file order', () => {
  const group = 'a:x:10:bob\nb:x:11:alice, bob\n+nis:x:12:bob\nc:x:13:bobby\nd:x:10:bob\ne:x:14:alice,bob\nf:x::bob';
  assert.deepEqual(memberGroups(group, 'bob', 99), [99, 10, 11, 12, 14]);
  assert.deepEqual(memberGroups(group, 'carol', 5), [5]);
  assert.deepEqual(memberGroups(group, 'bob', 11), [11, 10, 12, 14]);
});

test('groupsAreFiles: only files (and systemd, idle in a container) let setuser read /etc/group itself', () => {
  assert.equal(groupsAreFiles(null), true);
  assert.equal(groupsAreFiles('passwd: files\n'), true);
  assert.equal(groupsAreFiles('group:          files systemd\n'), true);
  assert.equal(groupsAreFiles('group: files [NOTFOUND=return] # local only\n'), true);
  assert.equal(groupsAreFiles('group: files sss\n'), false);
  assert.equal(groupsAreFiles('group: compat\n'), false);
  assert.equal(groupsAreFiles('netgroup: nis\ngroup: ldap files\n'), false);
});

test('memberGroups without NIS lines: `+name`/`-name` groups are left out, as glibc\'s compat source leaves them without NIS', () => {
  const group = 'a:x:10:bob\n+nis:x:12:bob\n-gone:x:13:bob\ne:x:14:bob';
  assert.deepEqual(memberGroups(group, 'bob', 99, false), [99, 10, 14]);
  assert.deepEqual(memberGroups(group, 'bob', 99), [99, 10, 12, 13, 14]);
});

test('nisLinesAreGroups: with files among the group sources (or no nsswitch.conf), not with compat alone', () => {
  assert.equal(nisLinesAreGroups(null), true);
  assert.equal(nisLinesAreGroups('passwd: compat\n'), true);
  assert.equal(nisLinesAreGroups('group: files systemd\n'), true);
  assert.equal(nisLinesAreGroups('group: compat\n'), false);
  assert.equal(nisLinesAreGroups('group: compat [NOTFOUND=return] # comment\n'), false);
  assert.equal(nisLinesAreGroups('group: sss files\n'), true);
  assert.equal(nisLinesAreGroups('group: ldap\n'), true);
});
