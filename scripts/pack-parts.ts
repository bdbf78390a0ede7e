// Packs a split bundle's entry with every part it imports statically into one
// asset, so that its start compiles one script (with one code cache) instead of
// one per part: each script costs about 0.2 ms before it runs a line. The parts
// it imports dynamically (my_init's supervisor and status endpoint) stay assets
// of their own, loaded when first wanted. The pack is what src/load-program.ts
// runs: `module.exports.__pack`, each part a function of (exports, require,
// module), the entry among them; the packed parts' own files are removed.
//   usage: node scripts/pack-parts.ts METAFILE SPLIT_DIR CJS_DIR ENTRY_NAME
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface Metafile {
  outputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }> }>;
}

const [metafile, splitDir, cjsDir, entry] = process.argv.slice(2);
if (entry === undefined) throw new Error('usage: node scripts/pack-parts.ts METAFILE SPLIT_DIR CJS_DIR ENTRY_NAME');
const outputs = (JSON.parse(readFileSync(metafile!, 'utf8')) as Metafile).outputs;
const partName = (path: string) => basename(path, '.js');
const imports = new Map(Object.entries(outputs).map(([path, output]) => [partName(path), output.imports]));

// The entry and, breadth first, every part reached from it by a static import.
const packed = [entry];
for (let i = 0; i < packed.length; i++) {
  const found = imports.get(packed[i]!);
  if (found === undefined) throw new Error(`${packed[i]} is not an output of ${metafile} (in ${splitDir})`);
  for (const { path, kind, external } of found) {
    if (external || kind !== 'import-statement' || packed.includes(partName(path))) continue;
    packed.push(partName(path));
  }
}

const functions = packed.map((name) => {
  const source = readFileSync(join(cjsDir!, `${name}.cjs`), 'utf8');
  return `${JSON.stringify(name)}: function (exports, require, module) {\n${source}\n}`;
});
for (const name of packed) rmSync(join(cjsDir!, `${name}.cjs`));
writeFileSync(join(cjsDir!, `${entry}.cjs`), `module.exports.__pack = {\n${functions.join(',\n')}\n};\n`);
console.log(`packed ${packed.join(', ')} into ${entry}.cjs`);
