// The process manager's events, declared once: what the formation, its supervisor and the sleeper tell the server.
import type { EventEmitter } from 'node:events';
import type { ExitCause } from '../core/index.ts';
import type { StoredInstance } from '../store/index.ts';

export interface FormationEvents {
  /** An app's instances changed (started, crashed, restarted, stopped): the routes are rebuilt from the store. */
  changed: [app: string];
  /**
   * An instance ended on its own; it starts again after `delayMs` (unless a rollout gating it reports the failure).
   * `cause`: `oom` (the kernel killed it at its memory limit), `unhealthy` (stopped after failed health checks), or
   * `exited`. `inst.restarts` counts its crashes since it last stayed up 10 minutes: 3 and more is a crash loop.
   */
  crash: [inst: StoredInstance, code: number | null, delayMs: number, cause: ExitCause];
  /** A serving web instance failed its health checks in a row; it is stopped and restarted as after a crash. */
  unhealthy: [inst: StoredInstance, reason: string];
  slept: [app: string];
  woke: [app: string];
  /** Something went wrong that no caller waits for (a restart, a restore, a wake). */
  error: [e: unknown];
}

export type FormationEmitter = EventEmitter<FormationEvents>;
