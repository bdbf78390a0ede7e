// Makes the V8 code cache of each program bundle (dist/programs/NAME.cjs ->
// NAME.cache), from the text src/load-program.ts will compile. Run by the
// pinned Node, whose V8 and flags the executable's match (a cache made under
// other ones is rejected, and then only costs its reading).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { wrapBundle } from '../src/load-program.ts';

const directory = process.argv[2] ?? 'dist/programs';
for (const file of readdirSync(directory).filter((name) => name.endsWith('.cjs'))) {
  const script = new Script(wrapBundle(readFileSync(join(directory, file), 'utf8')), { filename: file });
  writeFileSync(join(directory, file.replace(/\.cjs$/, '.cache')), script.createCachedData());
}
