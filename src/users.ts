// Users and groups by name, as glibc's getpwnam and getgrnam find them in
// /etc/passwd and /etc/group (the "files" source, all an image has): the first
// line whose name matches, blank lines, comments and malformed lines skipped,
// and the NIS `+name`/`-name` lines never a match. setuser (the reference's
// Python pwd.getpwnam) and chpst (runit's getpwnam) both look up this way: the
// executable is static, with no NSS, so these files are all there is.
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
 * `nisLines`: whether `+name`/`-name` lines count as groups (see nisLinesAreGroups).
 */
export function memberGroups(group: string, user: string, primary: number, nisLines = true): number[] {
  const gids = [primary];
  for (const fields of lines(group)) {
    if (!nisLines && isNis(fields[0]!)) continue;
    const gid = id(fields[2]);
    if (gid === null || gids.includes(gid)) continue;
    if ((fields[3] ?? '').split(',').map((member) => member.trim()).includes(user)) gids.push(gid);
  }
  return gids;
}

/** nsswitch.conf's sources for groups (brackets such as [NOTFOUND=return] left out); glibc's default, files, without the file or the line. */
function groupSources(nsswitch: string | null): string[] {
  const line = nsswitch === null ? null : /^[ \t]*group[ \t]*:(.*)$/m.exec(nsswitch);
  if (line === null) return ['files'];
  return line[1]!.replace(/#.*/, '').trim().split(/\s+/).filter((word) => word !== '' && !/^\[.*\]$/.test(word));
}

/**
 * Whether glibc's initgroups would read only /etc/group: nsswitch.conf's group
 * sources are `files` (with `systemd`, which adds nothing without systemd
 * running, as in a container).
 */
export function groupsAreFiles(nsswitch: string | null): boolean {
  return groupSources(nsswitch).every((source) => source === 'files' || source === 'systemd');
}

/**
 * Whether /etc/group's `+name`/`-name` lines are groups for nsswitch.conf's
 * sources. glibc's files source reads them as groups like any other; its
 * compat source takes them as NIS entries, which give nothing where no NIS
 * answers (a container). Other sources (ldap, sss) need NSS modules a static
 * executable cannot load: /etc/group is read as files reads it.
 */
export function nisLinesAreGroups(nsswitch: string | null): boolean {
  const sources = groupSources(nsswitch);
  return sources.includes('files') || !sources.includes('compat');
}
