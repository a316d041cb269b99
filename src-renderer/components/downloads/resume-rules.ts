import type { TaskView } from '../../stores/downloads.js';

/**
 * What the row and the view say about resuming (issue 10, point 1), from the engine's verdict on the
 * task (`resumable`: a validator for If-Range and range support) and whether a run had to restart.
 */

export type ResumeNoteKind = 'restarted' | 'not-resumable' | 'not-resumable-paused';

/** The note a row shows about resuming, if any. */
export function resumeNoteOf(task: Pick<TaskView, 'state' | 'resumable' | 'restarted' | 'bytes'>): ResumeNoteKind | null {
  const { state } = task;
  if (state !== 'running' && state !== 'queued' && state !== 'paused') return null;
  if (task.restarted) return 'restarted';
  if (task.resumable !== false) return null;
  if (state === 'running') return 'not-resumable';
  // Paused, or back in the queue after a stop: its next run starts over.
  return task.bytes > 0 ? 'not-resumable-paused' : null;
}

/**
 * Pausing this task now throws its bytes away: ask first. Only a running one: a queued task's bytes
 * are lost when it runs again whether it is paused first or not.
 */
export function pauseLosesBytes(task: Pick<TaskView, 'state' | 'resumable' | 'bytes'>): boolean {
  return task.resumable === false && task.bytes > 0 && task.state === 'running';
}
