// npm run fuzz [-- --seconds N] [--seed S] [NAME ...]: every fuzzer of test/fuzz (or those whose file
// names contain a NAME), each property for N seconds (default 60) from one seed, printed before and
// after so that a failure can be replayed. The suite (npm test) runs the same fuzzers briefly, from a
// fixed seed.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

function usage(problem: string): never {
  console.error(`npm run fuzz: ${problem}\nusage: npm run fuzz -- [--seconds N] [--seed S] [NAME ...]`);
  process.exit(2);
}

let seconds = '60';
let seed = String(randomInt(-(2 ** 31), 2 ** 31));
const names: string[] = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  if (arg === '--seconds' || arg === '--seed') {
    const value = args[++i];
    if (value === undefined) usage(`${arg} needs a value`);
    if (arg === '--seconds' && !/^[1-9][0-9]*$/.test(value)) usage(`--seconds must be a whole number of at least 1, not "${value}"`);
    if (arg === '--seed' && !/^-?[0-9]+$/.test(value)) usage(`--seed must be a whole number, not "${value}"`);
    if (arg === '--seconds') seconds = value;
    else seed = value;
  } else if (arg.startsWith('-')) {
    usage(`unknown option ${arg}`);
  } else {
    names.push(arg);
  }
}

const all = readdirSync(join(ROOT, 'test', 'fuzz')).filter((file) => file.endsWith('.test.ts')).sort();
const files = all.filter((file) => names.length === 0 || names.some((name) => file.includes(name)));
if (files.length === 0) usage(`no fuzzer matches ${names.join(', ')} (there are: ${all.join(', ')})`);

console.log(`fuzzing ${files.join(', ')}: each property for ${seconds} s, seed ${seed}`);
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files.map((file) => join('test', 'fuzz', file))], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, MY_INIT_FUZZ_SEED: seed, MY_INIT_FUZZ_SECONDS: seconds },
});
const passed = run.status === 0;
console.log(`seed ${seed}: ${passed ? 'no failure' : 'failed: each failure above says how to replay it (MY_INIT_FUZZ_SEED, MY_INIT_FUZZ_PATH)'}`);
process.exit(passed ? 0 : 1);
