// Makes the V8 code cache of each program bundle (dist/programs/NAME.cjs ->
// NAME.cache), from the text src/load-program.ts will compile. Each bundle's
// top level is run first (it only defines the program; main is not called), so
// that the cache holds the functions that running it compiles, not only the
// outer one: 6 ms of my_init's start-up. Run by the pinned Node, whose V8 and
// flags the executable's match (a cache made under other ones is rejected, and
// then only costs its reading).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { wrapBundle } from '../src/load-program.ts';

const directory = process.argv[2] ?? 'dist/programs';
const bundleRequire = createRequire(import.meta.url);
for (const file of readdirSync(directory).filter((name) => name.endsWith('.cjs'))) {
  const script = new Script(wrapBundle(readFileSync(join(directory, file), 'utf8')), { filename: file });
  const module = { exports: {} };
  (script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object) => void)(module.exports, bundleRequire, module);
  writeFileSync(join(directory, file.replace(/\.cjs$/, '.cache')), script.createCachedData());
}
// my_init's top level installs its signal handlers, which would keep this process alive.
process.exit(0);
