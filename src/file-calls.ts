// The native helper's whole-file calls, once it is loaded: the container
// environment's files are read and replaced at boot with one call each instead
// of Node's five or six (each about 25 us before its system call). Without the
// helper, atomic-file.ts and env-store.ts do the same with Node's fs.
import type { Native } from './native.ts';

export type FileCalls = Pick<Native, 'replaceFile' | 'readRegularFile'>;

let calls: FileCalls | null = null;

export function useNativeFileCalls(native: FileCalls | null): void {
  calls = native;
}

export function nativeFileCalls(): FileCalls | null {
  return calls;
}
