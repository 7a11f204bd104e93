import { describe, expect, it } from 'vitest';
import { RecentlyUsed } from './recently-used.js';

describe('a map of the recently used', () => {
  it('drops the least recently used past its capacity, a read counting as a use', () => {
    const kept = new RecentlyUsed<string, number | null>(2);
    kept.set('a', 1);
    kept.set('b', null);
    expect(kept.get('a')).toBe(1);
    kept.set('c', 3);
    expect(kept.get('b')).toBeUndefined();
    expect(kept.get('a')).toBe(1);
    expect(kept.get('c')).toBe(3);
  });

  it('keeps null values, and deletes an entry only while it holds the given value', () => {
    const kept = new RecentlyUsed<string, number | null>(3);
    kept.set('n', null);
    expect(kept.get('n')).toBeNull();
    kept.set('a', 1);
    kept.deleteIf('a', 2);
    expect(kept.get('a')).toBe(1);
    kept.deleteIf('a', 1);
    expect(kept.get('a')).toBeUndefined();
    kept.clear();
    expect(kept.get('n')).toBeUndefined();
  });
});
