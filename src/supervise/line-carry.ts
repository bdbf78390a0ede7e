// What a handed-over logger's supervisor passes to the svlogd engine: whole
// lines only. The start of a line not yet complete when a logger run ends
// stays here, for the next run of the same logger, so that a restart never
// splits or loses a line (a standalone svlogd told TERM in mid-line reads on
// to its end instead; a handed-over one ends at once).

const NEWLINE = 0x0a;
const NOTHING = new Uint8Array(0);
/** A line this long without a newline is passed on anyway: svlogd cuts long lines itself (-l). */
export const MAX_CARRY_BYTES = 64 * 1024;

export class LineCarry {
  /** Read, not yet passed on: the start of a line. Empty (no memory) most of the time. */
  private held: Uint8Array = NOTHING;

  /**
   * The whole lines of what was held and `chunk`, to pass on now; the rest is
   * held (as a copy: `chunk` may be a read buffer used again). With nothing
   * held, the lines are a view of `chunk` itself.
   */
  take(chunk: Uint8Array): Uint8Array {
    const held = this.held;
    let end = chunk.lastIndexOf(NEWLINE) + 1;
    if (end === 0) {
      if (held.length + chunk.length < MAX_CARRY_BYTES) {
        this.held = join(held, chunk);
        return NOTHING;
      }
      end = chunk.length;
    }
    const lines = held.length === 0 ? chunk.subarray(0, end) : join(held, chunk.subarray(0, end));
    this.held = end === chunk.length ? NOTHING : chunk.slice(end);
    return lines;
  }

  /** At the end of input for good: what is held, for the engine to treat as svlogd treats a last line. */
  rest(): Uint8Array {
    const rest = this.held;
    this.held = NOTHING;
    return rest;
  }
}

function join(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}
