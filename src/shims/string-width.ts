// Stands in for the string-width package in the bundle (see scripts/build.sh).
// yargs uses it only to lay out --help, whose text is ASCII; the real one
// builds Unicode tables when it loads, which cost 35 ms of every start-up.
export default function stringWidth(text: string): number {
  // eslint-style ANSI escape removal, as string-width does before measuring.
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
