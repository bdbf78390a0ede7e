// A log directory's processor (config `!`): `sh -c COMMAND` in the directory,
// the rotated `@….u` on fd 0, `@….t` on fd 1, `state` on fd 4, `newstate` on
// fd 5. When it succeeds, `.t` becomes `.s` (0744), the `.u` goes and
// newstate becomes state; when it fails it runs again on the same file. The
// words of every message are svlogd 2.1.2's.
import { SpawnError, type Child, type Children, type ExitStatus } from '../children.ts';
import { errnoText, errorText } from '../runit-errors.ts';
import { errnoNumber, SystemError } from '../system/errors.ts';
import { chmod, close, type Done, O_CREAT, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY, open as openFile, rename, unlink } from '../system/files.ts';
import { setImmediate, setTimeout } from '../system/loop.ts';
import { join } from '../system/path.ts';

const OPEN_READ = O_RDONLY | O_NONBLOCK;
const OPEN_TRUNC = O_WRONLY | O_NONBLOCK | O_TRUNC | O_CREAT;
const PAUSE_MS = 3000;

/** runit's words for why a processor could not be run (a spawn fails with the errno's name). */
function failureText(error: unknown): string {
  if (error instanceof SpawnError) return errnoText(errnoNumber(error.code) ?? 0);
  return errorText(error);
}

export interface ProcessorContext {
  /** The directory as given (messages name it so) and its absolute path. */
  readonly name: string;
  readonly path: string;
  readonly children: Children;
  readonly env: ReadonlyMap<string, string>;
  warn(line: string): void;
  /** A -v line, after `svlogd: info: `. */
  info(text: string): void;
  /** Is the directory still open? A processor that ends after its directory closed changes nothing. */
  isOpen(): boolean;
  /** The `!` command now ('' when the config has none). */
  command(): string;
  /** `waitedFor`: a rotation was blocked on it (svlogd reaps it there, and hears SIGCHLD only at its next read). */
  exited(waitedFor: boolean): void;
  /** svlogd's `pausing:` line for a step that failed and will be tried again in 3 s. */
  pausing(what: string, error: unknown): void;
}

export class Processor {
  private readonly context: ProcessorContext;
  private child: Child | null = null;
  private waiters: (() => void)[] = [];
  /** The `@….u` it works on. */
  private saved = '';

  constructor(context: ProcessorContext) {
    this.context = context;
  }

  get running(): boolean {
    return this.child !== null;
  }

  private file(name: string): string {
    return join(this.context.path, name);
  }

  /** Starts the command on `saved` (svlogd's fnsave); nothing when there is no command. */
  start(saved: string): void {
    const { context } = this;
    const command = context.command();
    if (command === '') return;
    if (this.child !== null) {
      context.warn(`svlogd: warning: processor already running: ${context.name}`);
      return;
    }
    this.saved = saved;
    context.info(`processing: ${context.name}/${saved}`);
    const opened: number[] = [];
    const closeAll = (): void => {
      for (const fd of opened.splice(0)) close(fd);
    };
    const fail = (what: string, error: unknown): void => {
      closeAll();
      // In svlogd this is the forked child dying with 111: a failed processor, started again.
      context.warn(`svlogd: fatal: ${what}: ${context.name}: ${failureText(error)}`);
      this.watch({ pid: -1, exited: new Promise((resolve) => setImmediate(() => resolve({ code: 111, signal: null, raw: 111 << 8 }))) });
    };
    const open = (what: string, name: string, flags: number): number | null => {
      const fd = openFile(this.file(name), flags, 0o644);
      if (fd instanceof SystemError) {
        fail(what, fd);
        return null;
      }
      opened.push(fd);
      return fd;
    };
    const input = open('unable to open input for processor', saved, OPEN_READ);
    if (input === null) return;
    const output = open('unable to open output for processor', `${saved.slice(0, 26)}t`, OPEN_TRUNC);
    if (output === null) return;
    let state: number | null;
    const existing = openFile(this.file('state'), OPEN_READ);
    if (existing instanceof SystemError) {
      if (existing.code !== 'ENOENT') return fail('unable to open state for processor', existing);
      if (open('unable to create empty state for processor', 'state', OPEN_TRUNC) === null) return;
      state = open('unable to open state for processor', 'state', OPEN_READ);
      if (state === null) return;
    } else {
      state = existing;
      opened.push(state);
    }
    const newState = open('unable to open newstate for processor', 'newstate', OPEN_TRUNC);
    if (newState === null) return;
    let child: Child;
    try {
      child = context.children.spawn({
        file: '/bin/sh',
        argv: ['sh', '-c', command],
        env: context.env,
        cwd: context.path,
        stdio: [input, output, 2, -1, state, newState],
      });
    } catch (error) {
      return fail('unable to run processor', error);
    } finally {
      // The child has its copies; an fd left open here would leak one per rotation.
      closeAll();
    }
    this.watch(child);
  }

  /** A reload forgets a running processor, as svlogd forgets its pid: its end changes nothing. */
  forget(): void {
    this.child = null;
    this.wake();
  }

  /** Resolves once no processor runs. */
  idle(): Promise<void> {
    if (this.child === null) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private watch(child: Child): void {
    this.child = child;
    void child.exited.then((status) => {
      if (this.child !== child) return;
      this.context.exited(this.waiters.length > 0);
      this.child = null;
      this.finished(status);
    });
  }

  /** svlogd's processorstop. */
  private finished(status: ExitStatus): void {
    const { context } = this;
    if (!context.isOpen()) return this.wake();
    const stem = this.saved.slice(0, 26);
    // svlogd reads the exit code only: a processor killed by a signal counts as a success.
    if (((status.raw >> 8) & 0xff) !== 0) {
      context.warn(`svlogd: warning: processor failed, restart: ${context.name}`);
      // Nothing to clean is fine.
      unlink(this.file(`${stem}t`));
      this.start(this.saved);
      if (this.child === null) this.wake();
      return;
    }
    const processed = `${stem}s`;
    // svlogd repeats each of these, 3 s apart, until it works.
    const steps: [string, () => Done][] = [
      ['unable to rename processed', () => rename(this.file(`${stem}t`), this.file(processed))],
      ['unable to set mode of processed', () => chmod(this.file(processed), 0o744)],
      ['', () => {
        if (unlink(this.file(this.saved)) !== undefined) context.warn(`svlogd: warning: unable to unlink: ${context.name}/${this.saved}`);
        return undefined;
      }],
      ['unable to rename state', () => rename(this.file('newstate'), this.file('state'))],
    ];
    const from = (first: number): void => {
      for (let index = first; index < steps.length; index++) {
        const [what, step] = steps[index]!;
        const failed = step();
        if (failed !== undefined) {
          context.pausing(what, failed);
          setTimeout(() => from(index), PAUSE_MS);
          return;
        }
      }
      context.info(`processed: ${context.name}/${processed}`);
      this.wake();
    };
    from(0);
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
