import type { Io, Spinner } from '../../src/cli/io.ts';

/** An Io that captures stdout/stderr in strings, with scripted TTY flags and prompt answers. */
export interface CapturedIo extends Io {
  stdout: string;
  stderr: string;
  /** Questions asked through `prompt`, in order. */
  prompts: string[];
  /** Every spinner text shown (update/succeed/fail). */
  spinnerLog: string[];
}

export interface CaptureOptions {
  stdinIsTTY?: boolean;
  stderrIsTTY?: boolean;
  color?: boolean;
  /** stdout is a terminal this wide. */
  columns?: number;
  /** Answers to prompts, in order; a prompt without an answer waits for the signal (Ctrl-C). */
  answers?: string[];
  /** Called when a prompt is shown (e.g. to press Ctrl-C at that moment). */
  onPrompt?: (question: string) => void;
  /** Called after each write to stderr with everything written so far (to act on output, e.g. Ctrl-C once a line appears). */
  onStderr?: (stderr: string) => void;
}

export function captureIo(o: CaptureOptions = {}): CapturedIo {
  const answers = [...(o.answers ?? [])];
  const io: CapturedIo = {
    stdout: '',
    stderr: '',
    prompts: [],
    spinnerLog: [],
    out: (t) => void (io.stdout += t),
    err: (t) => {
      io.stderr += t;
      o.onStderr?.(io.stderr);
    },
    stdinIsTTY: o.stdinIsTTY ?? false,
    stderrIsTTY: o.stderrIsTTY ?? false,
    colorOut: o.color ?? false,
    colorErr: o.color ?? false,
    columns: o.columns,
    prompt: (q, signal) => {
      io.prompts.push(q);
      io.stderr += q;
      o.onPrompt?.(q);
      const a = answers.shift();
      if (a !== undefined) return Promise.resolve(a);
      return new Promise((_, reject) => {
        if (signal.aborted) reject(signal.reason as Error);
        else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    },
    spinner: (text): Spinner => {
      if (io.stderrIsTTY) io.spinnerLog.push(text);
      const log = (t: string): void => void (io.stderrIsTTY && io.spinnerLog.push(t));
      return {
        update: log,
        succeed: (t) => (log(t), io.err(`${t}\n`)),
        fail: (t) => (log(t), io.err(`${t}\n`)),
        stop: () => undefined,
      };
    },
  };
  return io;
}
