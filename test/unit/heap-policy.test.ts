import { describe, expect, it } from 'vitest';
import { adjustHeapPolicy, FAVOUR_MEMORY_FROM, favoursMemory } from '../../src-main/core/heap-policy.js';

describe('the heap policy of the engine process', () => {
  it(`favours memory from ${FAVOUR_MEMORY_FROM} tasks, and speed again only well below that`, () => {
    adjustHeapPolicy(10);
    expect(favoursMemory()).toBe(false);
    adjustHeapPolicy(FAVOUR_MEMORY_FROM - 1);
    expect(favoursMemory()).toBe(false);
    adjustHeapPolicy(FAVOUR_MEMORY_FROM);
    expect(favoursMemory()).toBe(true);
    // Hysteresis: a count hovering near the line does not flip V8's flag back and forth.
    adjustHeapPolicy(FAVOUR_MEMORY_FROM - 500);
    expect(favoursMemory()).toBe(true);
    adjustHeapPolicy(3_999);
    expect(favoursMemory()).toBe(false);
  });
});
