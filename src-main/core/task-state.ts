import { FailCode, VelaError } from '../../src-shared/codes.js';
import type { TaskState } from '../../src-shared/types.js';

/**
 * A task's state machine as data (STYLE.md item 14): which state may go to which, and which action a
 * caller may ask for in which state. The I/O that causes a move lives elsewhere (engine.ts, runs.ts); this
 * file only says whether the move is legal.
 *
 * `queued → running ⇄ paused → completed | failed | cancelled`; `retry` takes a failed or cancelled
 * task back to queued. A queued task may become completed only through the journal's replay (its
 * file was committed before a crash the store did not see).
 */
export const TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  queued: ['running', 'paused', 'cancelled', 'failed', 'completed'],
  running: ['queued', 'paused', 'cancelled', 'failed', 'completed'],
  paused: ['queued', 'cancelled', 'failed'],
  failed: ['queued'],
  cancelled: ['queued'],
  completed: [],
};

export type TaskAction = 'pause' | 'resume' | 'cancel' | 'retry';

/** The states in which a caller may ask for each action (some of them are then no-ops). */
export const ACTIONS: Readonly<Record<TaskAction, readonly TaskState[]>> = {
  pause: ['queued', 'running', 'paused'],
  resume: ['paused', 'queued', 'running'],
  cancel: ['queued', 'running', 'paused'],
  retry: ['failed', 'cancelled'],
};

export function canMove(from: TaskState, to: TaskState): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** The error for an action or a move the table does not allow (202 with the state in its message). */
export function wrongState(state: TaskState, action: string): VelaError {
  return new VelaError(FailCode.IllegalArgument, `cannot ${action} a task that is ${state}`, { kind: 'state', params: { action, state } });
}

/** Throws unless `action` may be asked of a task in `state`. */
export function assertAction(state: TaskState, action: TaskAction): void {
  if (!ACTIONS[action].includes(state)) throw wrongState(state, action);
}

/** The one transition the engine makes: the next state, or the wrongState error for an illegal move. */
export function transition(from: TaskState, to: TaskState): TaskState {
  if (!canMove(from, to)) throw wrongState(from, `move to ${to}`);
  return to;
}
