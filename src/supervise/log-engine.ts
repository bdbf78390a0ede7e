// The svlogd engine for a handed-over logger, as svlogd would have run it:
// its arguments, working directory and environment, its messages on its own
// stderr. The engine's code is loaded at the first hand-off, so that a
// supervisor whose services have no loggers never holds it.
import type { Children } from '../children.ts';
import { writeStderr } from '../log.ts';
import type { Request } from '../svlogd/handoff-protocol.ts';
import type { Logger } from '../svlogd/logger.ts';
import { SystemError } from '../system/errors.ts';
import { close, O_APPEND, O_NONBLOCK, O_WRONLY, open, write } from '../system/files.ts';
import { concatBytes, utf8 } from '../system/text.ts';

let engine: Promise<typeof import('../svlogd/engine.ts')> | null = null;

/** A started engine (its directories opened, or its `done` at 111 when none could be), or why svlogd would not start. */
export async function startLogEngine(request: Request, children: Children): Promise<Logger | Error> {
  const { parseSvlogdArguments, Logger } = await (engine ??= import('../svlogd/engine.ts'));
  const options = parseSvlogdArguments(request.args);
  if (options instanceof Error) return options;
  const stderr = stderrOf(request.pid);
  const logger = new Logger(options, request.cwd, { children, env: new Map(Object.entries(request.env)), warn: stderr.line });
  void logger.done.then(stderr.close);
  logger.start();
  return logger;
}

const NEWLINE = Uint8Array.of(0x0a);

interface Stderr {
  line(text: string | Uint8Array): void;
  close(): void;
}

/**
 * Where the logger's stderr goes: a new open of it, non-blocking, so that a
 * stderr nobody reads never stalls the supervisor (a line is dropped
 * instead). One that cannot be opened again (a socket) is taken to be ours,
 * as it is unless log/run moved it.
 */
function stderrOf(pid: number): Stderr {
  const fd = open(`/proc/${pid}/fd/2`, O_WRONLY | O_APPEND | O_NONBLOCK);
  const withNewline = (text: string | Uint8Array): Uint8Array => concatBytes([typeof text === 'string' ? utf8(text) : text, NEWLINE]);
  if (fd instanceof SystemError) return { line: (text) => writeStderr(withNewline(text)), close: () => {} };
  let isOpen = true;
  return {
    line: (text) => {
      // Full or gone: best effort, as svlogd's own writes to stderr.
      if (isOpen) write(fd, withNewline(text));
    },
    close: () => {
      if (isOpen) close(fd);
      isOpen = false;
    },
  };
}
