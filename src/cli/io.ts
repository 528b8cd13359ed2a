import { openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isatty, WriteStream } from 'node:tty';
import { styleText } from 'node:util';
import ora from 'ora';

/** A progress line on stderr; a no-op renderer when stderr is not a TTY. */
export interface Spinner {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

/** Colours the suite uses (only when `color` is on). */
export type Color = 'green' | 'yellow' | 'red' | 'bold' | 'dim' | 'cyan';

/**
 * Every byte the suite prints goes through an Io: machine output to `out` (stdout), everything else
 * to `err` (stderr). Commands never touch `process`; tests pass a capturing Io.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly stdinIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** Colour allowed on stdout (a TTY and NO_COLOR unset). */
  readonly colorOut: boolean;
  /** Colour allowed on stderr. */
  readonly colorErr: boolean;
  /** The terminal's width when stdout is a terminal (tables fit it); undefined otherwise. */
  readonly columns?: number | undefined;
  /**
   * Asks on the terminal and resolves with the answer; rejects with PromptInterrupted on Ctrl-C
   * there, with the signal's reason when it aborts, and with any other failure as it is.
   */
  prompt(question: string, signal: AbortSignal): Promise<string>;
  /** A spinner on stderr (ora) when stderr is a TTY; otherwise nothing is drawn. */
  spinner(text: string): Spinner;
}

/** Ctrl-C typed at a prompt (a terminal readline takes it as a key, not as SIGINT). */
export class PromptInterrupted extends Error {
  constructor() {
    super('interrupted at the prompt');
  }
}

/** Wraps text in a colour when `on`. */
export function paint(on: boolean, color: Color, text: string): string {
  return on ? styleText(color, text) : text;
}

/** Off a TTY nothing animates; only the final outcome is printed as a line. */
function lineSpinner(write: (t: string) => void): Spinner {
  return {
    update: () => undefined,
    succeed: (t) => write(`${t}\n`),
    fail: (t) => write(`${t}\n`),
    stop: () => undefined,
  };
}

/**
 * Where the confirmation question goes: stderr, unless it is redirected (`2>move.log`), when the
 * question must still reach the operator's terminal: /dev/tty (the controlling terminal), else
 * stdout if that is the terminal. The answer is read from stdin, a terminal (no prompt otherwise).
 */
function promptOutput(): NodeJS.WritableStream {
  if (process.stderr.isTTY) return process.stderr;
  try {
    return new WriteStream(openSync('/dev/tty', 'w'));
  } catch {
    // No controlling terminal (or not a POSIX system).
  }
  return process.stdout.isTTY ? process.stdout : process.stderr;
}

/** The Io of the real process. `NO_COLOR` (any non-empty value) turns colour off, as in kubectl and ora. */
export function processIo(): Io {
  const noColor = (process.env['NO_COLOR'] ?? '') !== '';
  const stderrIsTTY = process.stderr.isTTY;
  // A reader that went away (`| head`): stop writing there, quietly; the command still finishes
  // what it is doing (a move is never cut short by its output).
  const closed = { stdout: false, stderr: false };
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      closed[name] = true;
    });
  }
  return {
    out: (t) => void (closed.stdout || process.stdout.write(t)),
    err: (t) => void (closed.stderr || process.stderr.write(t)),
    // isatty(0), not process.stdin.isTTY: touching process.stdin builds a stream (and loads
    // fs streams and readline) on every run, for a prompt most runs never show.
    stdinIsTTY: isatty(0),
    stderrIsTTY,
    colorOut: process.stdout.isTTY && !noColor,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    colorErr: stderrIsTTY && !noColor,
    prompt: (question, signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason as Error);
          return;
        }
        const output = promptOutput();
        const rl = createInterface({ input: process.stdin, output, terminal: true });
        // Settles once, then closes readline (whose 'close' would otherwise settle again).
        let settled = false;
        const settle = (how: () => void): void => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          how();
          rl.close();
        };
        const onAbort = (): void => settle(() => reject(signal.reason as Error));
        signal.addEventListener('abort', onAbort, { once: true });
        // A terminal readline swallows Ctrl-C (no process SIGINT): treat it as the interrupt it is.
        rl.on('SIGINT', () => settle(() => reject(new PromptInterrupted())));
        rl.on('close', () => {
          if (output !== process.stderr && output !== process.stdout) output.end();
          // Ctrl-D (end of input) before an answer: no answer, which is "no".
          settle(() => resolve(''));
        });
        rl.question(question, (answer) => settle(() => resolve(answer)));
      }),
    spinner: (text) => {
      if (!stderrIsTTY) return lineSpinner((t) => void process.stderr.write(t));
      // discardStdin off: ora would put the terminal in raw mode, so Ctrl-C typed there would reach
      // us only through ora's re-signalling, and a kill -9 would leave the terminal raw.
      const s = ora({
        text,
        stream: process.stderr,
        color: noColor ? false : 'cyan',
        isEnabled: true,
        discardStdin: false,
      }).start();
      return {
        update: (t) => void (s.text = t),
        succeed: (t) => void s.succeed(t),
        fail: (t) => void s.fail(t),
        stop: () => void s.stop(),
      };
    },
  };
}
