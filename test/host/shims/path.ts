// node:path for the test host: the POSIX functions of src/system/path.ts,
// which have Node's meanings (test/unit/system-path.test.ts checks them
// against Node's answers).
export { basename, dirname, isAbsolute, join, normalize, resolve } from '../../../src/system/path.ts';
export const sep = '/';
