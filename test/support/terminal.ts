/**
 * A real terminal for tests: tmux on its own server socket, a session per command at a fixed size.
 * Synchronised on what the pane shows and on the process's exit code (written to a file by the
 * shell), never on sleeps: the polling interval only paces the reads of the pane.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Polls until `ready()` holds (bounded: 30 s); the pane is read every 50 ms. */
export async function until(ready: () => boolean, what: string, pane: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`terminal: no ${what} within 30 s; the pane shows:\n${pane()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Terminal {
  /** What the pane shows now. */
  pane: () => string;
  /** The pane with what scrolled off its top. */
  all: () => string;
  keys: (...k: string[]) => void;
  /** Resolves with the command's exit code. */
  exit: () => Promise<number>;
}

const quote = (a: string): string => `'${a.replaceAll("'", `'\\''`)}'`;

/** A tmux server of this test process's own; `close()` ends it and every session in it. */
export function tmuxServer(): { open: (o: TerminalOptions) => Terminal; close: () => void } {
  const socket = `ambient-test-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  return {
    open: (o) => {
      const exitFile = join(o.dir, `${o.name}.exit`);
      const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`);
      const cmd = `${o.command.map(quote).join(' ')}${o.redirect ?? ''}`;
      const script = `${cmd}; echo $? > ${quote(exitFile)}; read`;
      tmux(
        'new-session',
        '-d',
        '-x',
        String(o.columns ?? 80),
        '-y',
        String(o.rows ?? 24),
        '-s',
        o.name,
        `env ${o.clean === true ? '-i ' : ''}TERM=xterm-256color ${env.join(' ')} /bin/bash --norc --noprofile -c ${quote(script)}`,
      );
      const pane = (): string => tmux('capture-pane', '-p', '-t', o.name);
      return {
        pane,
        all: () => tmux('capture-pane', '-p', '-S', '-', '-t', o.name),
        keys: (...k) => void tmux('send-keys', '-t', o.name, ...k),
        exit: async () => {
          await until(() => existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim() !== '', 'exit code', pane);
          return Number(readFileSync(exitFile, 'utf8').trim());
        },
      };
    },
    close: () => {
      try {
        tmux('kill-server');
      } catch {
        // no server left
      }
    },
  };
}

export interface TerminalOptions {
  /** The session's name (unique in the server). */
  name: string;
  /** The command and its arguments (each quoted for the shell). */
  command: string[];
  /** Shell redirections appended to the command, e.g. ` 2>'log'`. */
  redirect?: string;
  /** Where the exit code is written. */
  dir: string;
  env?: Record<string, string>;
  /** Start from an empty environment (`env -i`): only `env` and TERM. */
  clean?: boolean;
  columns?: number;
  rows?: number;
}
