// Linux's signal numbers: the generic ones, which x86-64 and arm64 (the two
// architectures the executable is built for) both use; a unit test holds the
// table to Node's os.constants.signals.
export const SIGNALS = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7,
  SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGCHLD: 17, SIGSTKFLT: 16, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23,
  SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30,
  SIGSYS: 31,
} as const;

export type SignalName = keyof typeof SIGNALS;

/**
 * The real-time signals programs may use: 34 (glibc's SIGRTMIN; it keeps 32
 * and 33 for its threads) to 64, SIGRTMAX, whatever C library the sender has.
 */
export const REALTIME_SIGNALS: readonly number[] = Array.from({ length: 31 }, (_, i) => 34 + i);

export function isSignalName(name: string): name is SignalName {
  return Object.prototype.hasOwnProperty.call(SIGNALS, name);
}

/** The usual name of a signal number (SIGABRT, not SIGIOT), or `signal N`. */
export function signalName(signal: number): string {
  const entry = Object.entries(SIGNALS).find(([, number]) => number === signal);
  return entry ? entry[0] : `signal ${signal}`;
}
