// Users and groups by name, as glibc's getpwnam and getgrnam find them in
// /etc/passwd and /etc/group (the "files" source, all an image has): the first
// line whose name matches, blank lines, comments and malformed lines skipped,
// and the NIS `+name`/`-name` lines never a match. setuser (the reference's
// Python pwd.getpwnam) and chpst (runit's getpwnam) both look up this way.
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
}

/** The fields of each usable line: leading blanks skipped, blank and `#` lines dropped. */
function* lines(text: string): Generator<string[]> {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^[ \t\f\r\v]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    yield line.split(':');
  }
}

/** As glibc's INT_FIELD: digits (strtoul's blanks and sign allowed) and nothing after; null when malformed. */
function id(field: string | undefined): number | null {
  const match = /^[ \t]*([+-]?)(\d+)$/.exec(field ?? '');
  if (match === null) return null;
  const value = Number(BigInt(match[2]!) > 0xffffffffn ? 0xffffffffn : BigInt(match[2]!));
  return match[1] === '-' ? (0x100000000 - value) % 0x100000000 : value;
}

const isNis = (name: string): boolean => name.startsWith('+') || name.startsWith('-');

/** The user's entry in the text of /etc/passwd, or null. */
export function findUser(passwd: string, name: string): PasswdEntry | null {
  if (isNis(name)) return null;
  for (const fields of lines(passwd)) {
    if (fields[0] !== name) continue;
    const uid = id(fields[2]);
    const gid = id(fields[3]);
    if (uid === null || gid === null) continue;
    return { name, uid, gid, home: fields[5] ?? '' };
  }
  return null;
}

/** The group's entry in the text of /etc/group, or null. */
export function findGroup(group: string, name: string): GroupEntry | null {
  if (isNis(name)) return null;
  for (const fields of lines(group)) {
    if (fields[0] !== name) continue;
    const gid = id(fields[2]);
    if (gid === null) continue;
    return { name, gid };
  }
  return null;
}

/**
 * initgroups' list from the text of /etc/group: the primary group first, then
 * each group that names the user among its members, once each, in file order.
 * Only files, the source groupsAreFiles checks for.
 */
export function memberGroups(group: string, user: string, primary: number): number[] {
  const gids = [primary];
  // glibc's files source reads `+name` lines as groups like any other (only its compat source does not).
  for (const fields of lines(group)) {
    const gid = id(fields[2]);
    if (gid === null || gids.includes(gid)) continue;
    if ((fields[3] ?? '').split(',').map((member) => member.trim()).includes(user)) gids.push(gid);
  }
  return gids;
}

/**
 * Whether glibc's initgroups would read only /etc/group: nsswitch.conf's group
 * sources are `files` (with `systemd`, which adds nothing without systemd
 * running, as in a container). Any other source (ldap, sss, compat...) only
 * glibc can ask.
 */
export function groupsAreFiles(nsswitch: string | null): boolean {
  if (nsswitch === null) return true; // glibc's default without the file: files.
  const line = /^[ \t]*group[ \t]*:(.*)$/m.exec(nsswitch);
  if (line === null) return true;
  const sources = line[1]!.replace(/#.*/, '').trim().split(/\s+/).filter((word) => word !== '');
  return sources.every((source) => source === 'files' || source === 'systemd' || /^\[.*\]$/.test(source));
}
