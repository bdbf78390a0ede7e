// Entries added to or removed from one directory, as inotify reports them:
// how the supervisors see a service directory appear within a moment instead
// of at their next look. The watch never keeps the process alive by itself.
// It ends when its directory is removed or moved away: the caller then looks
// again, and watches anew. When the kernel's queue overflowed, a change is
// reported: a look finds what was lost.
import {
  IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF, IN_MOVED_FROM, IN_MOVED_TO, IN_ONLYDIR, IN_Q_OVERFLOW,
  inotifyOpen, inotifyRead, inotifyWatch,
} from 'sys:files';
import { checked, SystemError } from './errors.ts';
import { close } from './files.ts';
import { READABLE, watch } from './loop.ts';

export interface DirectoryWatch {
  /** Stops watching (onEnd is not called). */
  close(): void;
}

const ENTRIES_CHANGED = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
const DIRECTORY_GONE = IN_DELETE_SELF | IN_MOVE_SELF;
/** The kernel removed the watch (its directory is gone): IN_IGNORED, which the platform does not name. */
const IN_IGNORED = 0x8000;

/**
 * Calls `onChange` once for each batch of entries created, removed or
 * renamed in `path` (a link to a directory is followed), and `onEnd` once
 * when the watch ends by itself. An error when `path` cannot be watched (not
 * a directory, say).
 */
export function watchDirectory(path: string, onChange: () => void, onEnd: () => void): DirectoryWatch | SystemError {
  const fd = checked(inotifyOpen(), 'inotify_init1');
  if (fd instanceof SystemError) return fd;
  const added = checked(inotifyWatch(fd, path, ENTRIES_CHANGED | DIRECTORY_GONE | IN_ONLYDIR), 'inotify_add_watch', path);
  if (added instanceof SystemError) {
    close(fd);
    return added;
  }
  let open = true;
  const stop = (): void => {
    if (!open) return;
    open = false;
    handle.close();
    close(fd);
  };
  const watched = watch(fd, READABLE, () => {
    const events = inotifyRead(fd);
    // A read that fails cannot be waited on again: the watch ends, as if its directory had gone.
    let mask = IN_IGNORED;
    if (typeof events !== 'number') {
      mask = 0;
      for (const [, eventMask] of events) mask |= eventMask;
    }
    if ((mask & (ENTRIES_CHANGED | IN_Q_OVERFLOW | DIRECTORY_GONE | IN_IGNORED)) !== 0) onChange();
    if (open && (mask & (DIRECTORY_GONE | IN_IGNORED)) !== 0) {
      stop();
      onEnd();
    }
  });
  if (watched instanceof SystemError) {
    close(fd);
    return watched;
  }
  const handle = watched.unref();
  return { close: stop };
}
