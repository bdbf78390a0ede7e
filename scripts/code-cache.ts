// Makes the V8 code cache of each bundle (dist/programs/NAME.cjs -> NAME.cache),
// from the text src/load-program.ts will compile. V8 compiles a function only
// when it is first called, and a cache holds only what was compiled, so a
// program would compile main and everything it calls at every start (2.5 ms of
// chpst's 3). Each bundle is therefore compiled with every function eager
// (--no-lazy), then its top level is run as the executable runs it (it only
// defines the program; main is not called). Run by the pinned Node, whose V8
// and flags the executable's match: a cache records the flags it was made under
// and is rejected under others, so --lazy is back before the cache is written.
// The arm64 executable's caches are made by the arm64 Node under qemu, into
// their own directory: a cache made by the x64 Node is rejected on arm64.
//   usage: node scripts/code-cache.ts [BUNDLES [CACHES]]   (CACHES: default BUNDLES)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { bundleLoader, wrapBundle } from '../src/load-program.ts';

const directory = process.argv[2] ?? 'dist/programs';
const output = process.argv[3] ?? directory;
const scripts = new Map<string, Script>();
const load = bundleLoader((name) => {
  setFlagsFromString('--no-lazy');
  const script = new Script(wrapBundle(readFileSync(join(directory, `${name}.cjs`), 'utf8')), { filename: `${name}.cjs` });
  setFlagsFromString('--lazy');
  scripts.set(name, script);
  return script;
});
for (const file of readdirSync(directory).filter((name) => name.endsWith('.cjs'))) load(file.slice(0, -'.cjs'.length));
for (const [name, script] of scripts) writeFileSync(join(output, `${name}.cache`), script.createCachedData());
// my_init's top level installs its signal handlers, which would keep this process alive.
process.exit(0);
