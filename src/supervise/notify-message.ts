// One sd_notify datagram: newline-separated KEY=VALUE assignments, as
// sd_notify(3) sends them. Unknown keys are ignored, as systemd does.
import { fromUtf8 } from '../system/text.ts';

export interface NotifyMessage {
  ready: boolean;
  reloading: boolean;
  stopping: boolean;
  /** WATCHDOG=1: the keep-alive ping. */
  watchdog: boolean;
  /** WATCHDOG=trigger: the service asks to be treated as hung now. */
  watchdogTrigger: boolean;
  /** STATUS=: free text for `sv status`; null when not sent. */
  status: string | null;
  /** MAINPID=: the process to show and signal; null when not sent or not a pid. */
  mainPid: number | null;
}

/** How much of STATUS= is kept: a line for `sv status`, not a log. */
const STATUS_MAX = 200;

export function parseNotifyMessage(bytes: Uint8Array): NotifyMessage {
  const message: NotifyMessage = {
    ready: false, reloading: false, stopping: false, watchdog: false, watchdogTrigger: false, status: null, mainPid: null,
  };
  for (const line of fromUtf8(bytes).split('\n')) {
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1);
    switch (key) {
      case 'READY': message.ready = value === '1'; break;
      case 'RELOADING': message.reloading = value === '1'; break;
      case 'STOPPING': message.stopping = value === '1'; break;
      case 'WATCHDOG':
        message.watchdog = value === '1';
        message.watchdogTrigger = value === 'trigger';
        break;
      // Control characters would break the one-line `sv status`.
      case 'STATUS': message.status = value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, STATUS_MAX); break;
      case 'MAINPID': message.mainPid = /^[1-9]\d{0,9}$/.test(value) && Number(value) <= 2 ** 22 ? Number(value) : null; break;
    }
  }
  return message;
}
