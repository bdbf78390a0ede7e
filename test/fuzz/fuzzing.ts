// How every fuzzer in test/fuzz runs. In `npm test` each property tries a fixed
// number of random inputs from a fixed seed, so the suite says the same thing
// on every machine. Under `npm run fuzz` (scripts/fuzz.ts) each property runs
// for as long as asked, from a seed of its own, which a failure prints.
//
// Environment:
//   MY_INIT_FUZZ_SEED=N      the seed (default: 19 in the suite; npm run fuzz picks one and prints it)
//   MY_INIT_FUZZ_SECONDS=N   run each property for N seconds instead of its fixed number of inputs
//   MY_INIT_FUZZ_PATH=P      with the seed, replay the one input a failure printed (and its shrinking)
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The seed of `npm test`: any fixed number would do; this one is the issue's. */
const SUITE_SEED = 19;

function readSeed(text: string | undefined): number {
  if (text === undefined || text === '') return SUITE_SEED;
  if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new Error(`MY_INIT_FUZZ_SEED must be a whole number, not "${text}"`);
  return Number(text) | 0; // fast-check's seeds are 32-bit; what it prints is what this reads back.
}

function readSeconds(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`MY_INIT_FUZZ_SECONDS must be a whole number of at least 1, not "${text}"`);
  return Number(text);
}

export const SEED = readSeed(process.env.MY_INIT_FUZZ_SEED);
const SECONDS = readSeconds(process.env.MY_INIT_FUZZ_SECONDS);
const PATH = process.env.MY_INIT_FUZZ_PATH || undefined;

/** What a failure's message shows of the counterexample; the whole report goes to a file. */
const REPORT_SHOWN = 6000;

export interface FuzzOptions {
  /** Inputs tried in `npm test`: what fits the suite's time on 2 busy cores. */
  runs: number;
}

/**
 * Checks `check` against random inputs of `arbitrary`. A failure is shrunk to a
 * small input and thrown with the seed and path that replay it; add that input
 * as a named regression test beside the fuzzer.
 */
export async function fuzz<T>(name: string, arbitrary: fc.Arbitrary<T>, check: (input: T) => Promise<void>, options: FuzzOptions): Promise<void> {
  const details = await fc.check(fc.asyncProperty(arbitrary, check), {
    seed: SEED,
    path: PATH,
    numRuns: SECONDS === null ? options.runs : Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: SECONDS === null ? undefined : SECONDS * 1000,
    markInterruptAsFailure: false,
    includeErrorInReport: true, // The property's assertion message is what says what differed.
  });
  if (!details.failed) return;
  const report = (await fc.asyncDefaultReportMessage(details)) ?? 'failed (fast-check gave no report)';
  const file = join(tmpdir(), `my_init-fuzz-${name.replaceAll(/[^A-Za-z0-9]+/g, '-')}-${details.seed}.txt`);
  writeFileSync(file, report);
  const shown = report.length > REPORT_SHOWN ? `${report.slice(0, REPORT_SHOWN)}\n... (the whole report: ${file})` : report;
  const error = new Error(
    `fuzz "${name}" failed; replay it with\n` +
      `  MY_INIT_FUZZ_SEED=${details.seed} MY_INIT_FUZZ_PATH=${details.counterexamplePath ?? ''} node --test ${testFile()}\n` +
      `and add the counterexample as a named regression test.\n${shown}`,
  );
  error.stack = error.message; // The runner's stack says nothing here: the property's error is in the report.
  throw error;
}

/** The test file that called fuzz(), for the replay command. */
function testFile(): string {
  return process.argv.find((arg) => arg.endsWith('.test.ts')) ?? 'test/fuzz/FILE.test.ts';
}

/** Whether this run is `npm run fuzz` (long, a seed of its own) rather than the suite's fixed budget. */
export const FUZZING = SECONDS !== null;
