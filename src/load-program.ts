// Loads one program's bundle (dist/programs/<name>.cjs, made by scripts/build.sh)
// from the executable's assets, with the V8 code cache made for it at build time.
// One bundle for all the programs cost each of them about 10 ms of start-up, to
// read and deserialize code it never runs.
import { getAsset, getRawAsset } from 'node:sea';
import { Script } from 'node:vm';

/** Each program's entry: its arguments, and the base name it was called by (sv's LSB mode, chpst's personalities). */
export type Program = (args: string[], calledAs: string) => void;

/** How a bundle is wrapped to be run: as Node wraps a CommonJS module. The build makes its code cache from the same text. */
export function wrapBundle(source: string): string {
  return `(function (exports, require, module) {${source}\n})`;
}

export function loadProgram(name: string): Program {
  const source = wrapBundle(getAsset(`${name}.cjs`, 'utf8'));
  const script = new Script(source, { filename: `${name}.cjs`, cachedData: new Uint8Array(getRawAsset(`${name}.cache`)) });
  const module = { exports: {} as { main?: Program } };
  (script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object) => void)(module.exports, require, module);
  if (typeof module.exports.main !== 'function') throw new Error(`the executable's ${name} program has no main`);
  return module.exports.main;
}
