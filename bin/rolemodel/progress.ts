// Progress lines on stderr for apply and verify: quiet for the first second (most runs end before it), then one
// line per phase with the time since the start, so apply on 3,000 tables is not silent for seconds. Only when
// stderr is a terminal, or --progress asks for them (CI logs).
import { printable } from '../../lib/spec/text-rules.js';
import type { CliIo } from './io.js';

export interface Progress {
  /** Give it to the engine as EngineOptions.progress. */
  readonly phase: (name: string) => void;
  /** Stops the pending line; call when the command ends. */
  readonly done: () => void;
}

export function progressLines(io: CliIo, command: string, wanted: boolean, afterMs = 1000, now: () => number = Date.now): Progress {
  if (!wanted && !io.stderrIsTty) return { phase: () => undefined, done: () => undefined };
  const started = now();
  let current: string | undefined;
  let shown = false;
  const show = () => {
    shown = true;
    if (current !== undefined) io.err(`rolemodel ${command}: ${printable(current)} (${((now() - started) / 1000).toFixed(1)} s)`);
  };
  const timer = setTimeout(show, afterMs);
  timer.unref();
  return {
    phase: (name) => {
      current = name;
      if (shown || now() - started >= afterMs) show();
    },
    done: () => clearTimeout(timer),
  };
}
