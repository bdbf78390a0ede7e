// svlogd fuzzed against Debian's runit 2.1.2 svlogd: random bytes on stdin,
// random options (-l, -b, -r, -R, -t/-tt/-ttt, -v) and a random `config` in the
// log directory, sometimes a `current` left over. Both sides get the same input
// as a regular file (each read returns what it asks for, whatever the load, so
// both see the same reads) and must leave the same files (the rotated ones
// compared by count and, in name order, by content), the same stderr and exit code.
//
// Left out on purpose: `t` (rotation by age: timing), `!` (a processor: README
// "What differs from Debian's svlogd: a processor gets only fds 0, 1, 2, 4 and 5"
// and its `sigchild received.` timing), `u`/`U` (UDP, its own differential test)
// and signals (README: a standalone svlogd told TERM finishes the read in hand).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { runSide, type Case, type Outcome } from '../differential/harness.ts';
import { fuzz } from './fuzzing.ts';
import { trickyBytes, trickyText } from './inputs.ts';

interface Input {
  args: string[];
  config: Uint8Array | null;
  /** A second log directory `e`, with this config (or none), when not undefined. */
  second?: Uint8Array | null;
  /** A `current` already there, and whether it is marked finished (mode 0744). */
  current: { content: Uint8Array; finished: boolean } | null;
  /** Files of an earlier run, by suffix: rotated (`s`), unprocessed (`u`), a processor's leftover (`t`), or odd (`x`). */
  old: string[];
  stdin: Uint8Array;
}

const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text));

/** A line of input: tricky bytes, sometimes a long line, sometimes empty. */
const line = fc.oneof(
  { weight: 6, arbitrary: trickyBytes(5) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 20, max: 3000 }), fc.constantFrom('x', 'ab', 'é')).map(([n, unit]) => bytes(unit.repeat(n))) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array()) },
);

const stdin = fc.tuple(fc.array(line, { maxLength: 25 }), fc.boolean(), trickyBytes(2)).map(([lines, trailingNewline, tail]) => {
  const joined = Buffer.concat(lines.map((l) => Buffer.concat([l, Buffer.from('\n')])));
  // No trailing newline: a last piece without one (dropped by svlogd at the end of input).
  return Uint8Array.from(trailingNewline ? joined : Buffer.concat([joined, tail]));
});

/** svlogd's patterns: `*` and `+` are its only special characters; the rest is plain text. */
const pattern = fc.array(fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('*', '+', 'a', 'b', 'x', ':', ' ', '\t', 'é', '\\', '?', '\xff') },
  { weight: 1, arbitrary: trickyText(2) },
), { maxLength: 5 }).map((pieces) => pieces.join(''));

const number = fc.oneof(fc.integer({ min: 0, max: 400 }).map(String), fc.constantFrom('', '1k', '0x10', '-1', '99999999999999999999', ' 5', '5x'));

/** A line of config; lines starting with `t`, `!`, `u` or `U` (age, processor, UDP: see the top of the file) are dropped below. */
const configLine = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('+', '-', 'e', 'E'), pattern).map(([kind, p]) => bytes(kind + p)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('s', 'n', 'N'), number).map(([kind, n]) => bytes(kind + n)) },
  { weight: 1, arbitrary: trickyText(2).map((p) => bytes(`p${p}`)) },
  { weight: 1, arbitrary: trickyBytes(3) },
  // Patterns and prefixes with any bytes, not only UTF-8.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('+', '-', 'e', 'E', 'p'), trickyBytes(2)).map(([kind, b]) => Uint8Array.from(Buffer.concat([Buffer.from(kind), b]))) },
);

const config = fc.option(
  fc.tuple(fc.array(configLine, { maxLength: 7 }), fc.boolean()).map(([lines, trailingNewline]) => {
    const text = Buffer.concat(lines.flatMap((l, i) => (i === lines.length - 1 && !trailingNewline ? [Buffer.from(l)] : [Buffer.from(l), Buffer.from('\n')])));
    // A newline inside a piece starts a line of its own: the same letters stay out of those too.
    const kept = text.toString('latin1').split('\n').filter((l) => !/^[t!uU]/.test(l)).join('\n');
    return Uint8Array.from(Buffer.from(kept, 'latin1'));
  }),
  { freq: 4 },
);

/** -l LEN and -b BUFLEN, sometimes with -b not above -l (a usage error) or garbage (read as the default). */
const sizes = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 200 })).map(([l, extra]) => ['-l', String(l), '-b', String(l + extra)]) },
  { weight: 2, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('-l', '-b'), fc.constantFrom('0', 'x', '1', '1023', '1024', '5000', '')).map(([flag, value]) => [flag, value]) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 })).map(([b, l]) => ['-l', String(l), '-b', String(b)]) },
);

const replaceChar = fc.constantFrom('_', '?', ' ', '*', 'é', '', 'ab', '\t');
const replaceSet = fc.constantFrom('a', 'ab', ' ', 'é', '', '*:', '\\x');
const stamp = fc.constantFrom([], [], ['-t'], ['-tt'], ['-ttt'], ['-tv']);

const args = fc.tuple(sizes, fc.option(replaceChar, { freq: 3 }), fc.option(replaceSet, { freq: 3 }), stamp, fc.boolean())
  .map(([size, r, R, t, verbose]) => [
    ...size, ...(r === null ? [] : ['-r', r]), ...(R === null ? [] : ['-R', R]), ...t, ...(verbose ? ['-v'] : []), 'd',
  ]);

/** Now and then a second directory: every line goes to each whose patterns select it. */
const second = fc.option(config, { freq: 4, nil: undefined });

const current = fc.option(fc.record({ content: trickyBytes(4), finished: fc.boolean() }), { freq: 4 });

const old = fc.array(fc.constantFrom('s', 'u', 't', 'x'), { maxLength: 4 });

/** At most this many rotations by size in a round: each costs an fsync and a rename on both sides. */
const MOST_ROTATIONS = 100;

/**
 * Cuts stdin where a small `s` would make more rotations than MOST_ROTATIONS
 * (with `s1`, every byte is a file): a rough count, on the output's size
 * (input, plus per line a stamp and the longest prefix).
 */
function affordable(i: Input): Input {
  const lines = [i.config, i.second].flatMap((c) => (c === null || c === undefined ? [] : Buffer.from(c).toString('latin1').split('\n')));
  const sizes = lines.flatMap((l) => /^s([0-9]+)/.exec(l)?.[1] ?? []).map(Number).filter((n) => n > 0);
  if (sizes.length === 0) return i;
  const perLine = 27 + Math.max(0, ...lines.filter((l) => l.startsWith('p')).map((l) => l.length));
  const output = (b: Uint8Array): number => b.length + b.filter((c) => c === 10).length * perLine + (i.current?.content.length ?? 0);
  let stdin = i.stdin;
  while (stdin.length > 0 && output(stdin) / Math.min(...sizes) > MOST_ROTATIONS) stdin = stdin.subarray(0, Math.floor(stdin.length / 2));
  return { ...i, stdin };
}

const input: fc.Arbitrary<Input> = fc.record({ args, config, current, old, stdin, second }).map((i) => affordable(i.second === undefined ? i : { ...i, args: [...i.args, 'e'] }));

/**
 * Which characters a stamp is made of, by the -t count: a TAI64N label's hex
 * digits, a readable stamp's decimal ones. The time differs by nature between
 * the two runs, and a rotation by size cuts the log anywhere, stamps too, so
 * the stamps are not found by their form: a byte may differ only where both
 * sides have a stamp character.
 */
function stampCharacters(argv: string[]): RegExp | null {
  // The generator gives -t, -tt, -ttt or -tv as a word of its own, and no value of -l/-b/-r/-R looks like one.
  const word = argv.find((arg) => /^-t+v?$/.test(arg));
  if (word === undefined) return null;
  return word.startsWith('-tt') ? /[0-9]/ : /[0-9a-f]/;
}

/** Equal, or equal but where both sides have a stamp character. */
function sameText(ours: string, real: string, stampChar: RegExp | null): boolean {
  if (ours === real) return true;
  if (stampChar === null || ours.length !== real.length) return false;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] !== real[i] && !(stampChar.test(ours[i]!) && stampChar.test(real[i]!))) return false;
  }
  return true;
}

const shown = (b: Uint8Array): string => JSON.stringify(Buffer.from(b).toString('latin1'));
const describe = (i: Input): string =>
  `svlogd ${i.args.map((a) => JSON.stringify(a)).join(' ')}\n  config: ${i.config === null ? 'none' : shown(i.config)}\n` +
  (i.second === undefined ? '' : `  e/config: ${i.second === null ? 'none' : shown(i.second)}\n`) +
  `  current: ${i.current === null ? 'none' : `${shown(i.current.content)} ${i.current.finished ? '0744' : '0644'}`}\n` +
  `  old files: ${i.old.map((suffix) => `.${suffix}`).join(' ') || 'none'}\n  stdin: ${shown(i.stdin)}`;

/** The outcome as text lines, for a readable diff: each file with its mode and content. */
function lines(outcome: Outcome): string[] {
  return [
    `exit ${outcome.code} ${outcome.signal ?? ''}`,
    `stdout ${JSON.stringify(outcome.stdout)}`,
    `stderr ${JSON.stringify(outcome.stderr)}`,
    ...Object.entries(outcome.files).map(([path, entry]) => `${path} ${JSON.stringify(entry)}`),
  ];
}

async function check(i: Input): Promise<void> {
  const c: Case = {
    program: 'svlogd',
    args: i.args,
    stdin: Buffer.from(i.stdin),
    stdinFile: true,
    timeoutMs: 30_000, // A bound for a busy machine, not a measurement: a round takes well under a second.
    // Rotated files' TAI64N names (the time of the rotation): the harness numbers
    // names that normalize alike in name order, which is the order they were made.
    normalize: (text) => text.replace(/@[0-9a-f]{24}\.([su])/g, '@TAI64N.$1'),
    setup: (dir) => {
      mkdirSync(join(dir, 'd'));
      if (i.config !== null) writeFileSync(join(dir, 'd', 'config'), i.config);
      if (i.second !== undefined) mkdirSync(join(dir, 'e'));
      if (i.second !== undefined && i.second !== null) writeFileSync(join(dir, 'e', 'config'), i.second);
      // Older than any the run makes (a stamp of 2001), in the order given.
      i.old.forEach((suffix, n) => writeFileSync(join(dir, 'd', `@40000000${(0x3b000000 + n).toString(16)}00000000.${suffix}`), `old ${n}\n`));
      if (i.current !== null) {
        writeFileSync(join(dir, 'd', 'current'), i.current.content);
        chmodSync(join(dir, 'd', 'current'), i.current.finished ? 0o744 : 0o644);
      }
    },
  };
  const real = await runSide(c, 'real');
  const ours = await runSide(c, 'ours');
  const stampChar = stampCharacters(i.args);
  const realLines = lines(real);
  const ourLines = lines(ours);
  const same = realLines.length === ourLines.length && realLines.every((l, n) => sameText(ourLines[n]!, l, stampChar));
  if (!same) {
    assert.deepEqual(ourLines, realLines, `ours differs from Debian's for\n${describe(i)}`);
    assert.fail(`ours differs from Debian's (beyond stamps) for\n${describe(i)}`); // Same lines, other length: cannot happen.
  }
}

/** Lines of `width` bytes, numbered. */
const numbered = (count: number, width = 30): Uint8Array => bytes(Array.from({ length: count }, (_, n) => `${n} `.padEnd(width, 'x') + '\n').join(''));

// Ours counted `.u` files among the n to keep and deleted the oldest of them;
// Debian's svlogd neither counts nor deletes a `.u` (here the one it made of an
// unfinished current at startup, and one of an earlier run).
test('regression: a .u is neither counted among n nor deleted', () =>
  check({ args: ['-v', 'd'], config: bytes('s100\nn2\n'), current: { content: bytes('left'), finished: false }, old: ['u'], stdin: numbered(12) }));
test('regression: old .s, .t and odd files are counted and deleted as Debian does', () =>
  check({ args: ['-v', 'd'], config: bytes('s100\nn2\n'), current: null, old: ['s', 'x', 't', 's'], stdin: numbered(12) }));

// A round runs both svlogds once: about 30 ms idle (the inputs are a few KiB, at most
// MOST_ROTATIONS rotations), so the file takes about 8 s idle.
test('fuzz: svlogd with random input, options and config is Debian\'s', () => fuzz('svlogd', input, check, { runs: 250 }));
