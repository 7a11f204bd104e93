import { describe, expect, it } from 'vitest';
import { lipschitzBracket, lipschitzEstimateText } from './lipschitz';

describe('lipschitz estimate text', () => {
  it('writes a capped estimate as "at least r"', () => {
    expect(lipschitzEstimateText(0.3, 0.3)).toBe('≥ 0.3000');
    expect(lipschitzEstimateText(null, 0.3)).toBe('—');
  });

  it('brackets the estimate with the attack margin, or says the attack found nothing', () => {
    expect(lipschitzBracket({ lipschitzMargin: 0.05, inputMargin: 0.12, marginFound: true }, 0.3, true)).toBe('[0.05000, 0.1200]');
    expect(lipschitzBracket({ lipschitzMargin: 0.3, inputMargin: null, marginFound: false }, 0.3, true)).toBe('[≥ 0.3000, not found]');
    expect(lipschitzBracket({ lipschitzMargin: 0.05, inputMargin: null, marginFound: null }, 0.3, false)).toBe('0.05000');
  });
});
