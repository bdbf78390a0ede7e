// Loads one program's bundle (dist/programs/<name>.cjs, made by scripts/build.sh)
// from the executable's assets, with the V8 code cache made for it at build time.
// One bundle for all the programs cost each of them about 10 ms of start-up, to
// read and deserialize code it never runs. my_init's bundle is split in parts
// the same way (the supervisor, the svlogd engine, the status endpoint, what
// they share with the init): a part is loaded when first required, once, so every part sees the
// same instance of a module they share. What my_init needs at every start is
// one asset, a pack of its parts (scripts/pack-parts.ts).
import { getAsset, getRawAsset } from 'node:sea';
import { Script } from 'node:vm';

/** Each program's entry: its arguments, and the base name it was called by (sv's LSB mode, chpst's personalities). */
export type Program = (args: string[], calledAs: string) => void;

/** How a bundle is wrapped to be run: as Node wraps a CommonJS module. The build makes its code cache from the same text. */
export function wrapBundle(source: string): string {
  return `(function (exports, require, module) {${source}\n})`;
}

type ModuleExports = Record<string, unknown>;
type BundleFunction = (exports: object, require: (id: string) => unknown, module: { exports: object }) => void;

/** What else a bundle may require: everything not built in is bundled. */
function builtinModule(id: string): unknown {
  const module = process.getBuiltinModule(id);
  if (module === undefined) throw new Error(`a bundle required ${id}, which is not a built-in module: bundle it`);
  return module;
}

/** The name of the bundle `id` is, when it is one: esbuild requires a part of a split as `./NAME.js`. */
function bundleName(id: string): string | null {
  return /^\.\/([^/]+)\.js$/.exec(id)?.[1] ?? null;
}

/**
 * Runs bundles as CommonJS modules, each once, compiled by `compile` (from the
 * executable's assets, or from files at build time). Their `require` gives
 * another bundle for `./NAME.js`, Node's built-in modules for anything else.
 */
export function bundleLoader(compile: (name: string) => Script): (name: string) => ModuleExports {
  const loaded = new Map<string, ModuleExports>();
  /** The parts of packs already compiled (scripts/pack-parts.ts): run when first required, without an asset of their own. */
  const packed = new Map<string, BundleFunction>();
  const requireFromBundle = (id: string): unknown => {
    const part = bundleName(id);
    return part === null ? builtinModule(id) : load(part);
  };
  const load = (name: string): ModuleExports => {
    const done = loaded.get(name);
    if (done !== undefined) return done;
    const module = { exports: {} as ModuleExports };
    // Set first: esbuild's parts do not require each other in a cycle, but a cycle would then end.
    loaded.set(name, module.exports);
    const part = packed.get(name);
    if (part !== undefined) {
      part(module.exports, requireFromBundle, module);
    } else {
      (compile(name).runInThisContext() as BundleFunction)(module.exports, requireFromBundle, module);
      const pack = module.exports.__pack as Record<string, BundleFunction> | undefined;
      if (pack !== undefined) {
        // A pack of parts, this bundle's own among them.
        for (const [partName, run] of Object.entries(pack)) packed.set(partName, run);
        loaded.delete(name);
        return load(name);
      }
    }
    loaded.set(name, module.exports);
    return module.exports;
  };
  return load;
}

const loadAsset = bundleLoader((name) => new Script(wrapBundle(getAsset(`${name}.cjs`, 'utf8')), {
  filename: `${name}.cjs`,
  cachedData: new Uint8Array(getRawAsset(`${name}.cache`)),
}));

export function loadProgram(name: string): Program {
  const { main } = loadAsset(name);
  if (typeof main !== 'function') throw new Error(`the executable's ${name} program has no main`);
  return main as Program;
}
