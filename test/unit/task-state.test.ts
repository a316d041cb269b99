import { describe, expect, it } from 'vitest';
import { FailCode, VelaError } from '../../src-shared/codes.js';
import { assertAction, canMove, transition, TRANSITIONS } from '../../src-main/core/task-state.js';

describe('task state transitions (a table, pure)', () => {
  it('allows the life of a task: queued → running ⇄ paused → completed | failed | cancelled, retry back to queued', () => {
    expect(transition('queued', 'running')).toBe('running');
    expect(transition('running', 'paused')).toBe('paused');
    expect(transition('paused', 'queued')).toBe('queued');
    expect(transition('running', 'completed')).toBe('completed');
    expect(transition('failed', 'queued')).toBe('queued');
    expect(transition('cancelled', 'queued')).toBe('queued');
  });

  it('refuses illegal moves with 202 and the state in the message', () => {
    expect(() => transition('completed', 'queued')).toThrow(VelaError);
    expect(() => transition('paused', 'running')).toThrow(/cannot move to running a task that is paused/);
    try {
      transition('completed', 'running');
    } catch (error) {
      expect((error as VelaError).code).toBe(FailCode.IllegalArgument);
    }
  });

  it('a completed task goes nowhere; staying in a state is always allowed', () => {
    expect(TRANSITIONS.completed).toEqual([]);
    for (const state of Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[]) expect(canMove(state, state)).toBe(true);
  });

  it('checks actions by state with the engine’s messages', () => {
    expect(() => assertAction('completed', 'pause')).toThrow('cannot pause a task that is completed');
    expect(() => assertAction('running', 'retry')).toThrow('cannot retry a task that is running');
    expect(() => assertAction('failed', 'cancel')).toThrow('cannot cancel a task that is failed');
    expect(() => assertAction('paused', 'resume')).not.toThrow();
  });
});
