/** Where progress is written: stderr, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressPrinter {
  /** A message of its own line. */
  line(msg: string): void;
  /** A status that the next one replaces: redrawn in place on a terminal, a line of its own elsewhere. */
  status(msg: string): void;
  /** Ends a status line still showing. */
  end(): void;
}

/**
 * `gatehouse temporal install`'s output: on a terminal the build's "still building" status stays on
 * one redrawn line; piped or collected (CI, docker logs) every message is a plain line, no escapes.
 */
export function progressPrinter(out: ProgressStream): ProgressPrinter {
  const tty = out.isTTY === true;
  let open = false; // a status line is showing, without its newline
  const close = () => {
    if (open) out.write('\n');
    open = false;
  };
  return {
    line(msg) {
      close();
      out.write(`${msg}\n`);
    },
    status(msg) {
      if (!tty) return void out.write(`${msg}\n`);
      out.write(`\r\u001b[2K${msg}`); // back to the start of the line, clear it, draw the new status
      open = true;
    },
    end: close,
  };
}
