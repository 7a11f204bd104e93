import { describe, expect, it } from 'vitest';
import { findChromium } from './chromium.js';

describe('the Chromium that prints reports', () => {
  it('is the one BRINK_CHROMIUM names, else the first found on the system', () => {
    expect(findChromium({ BRINK_CHROMIUM: '/opt/chrome/chrome' }, (p) => p === '/opt/chrome/chrome')).toBe('/opt/chrome/chrome');
    expect(findChromium({}, (p) => p === '/usr/bin/google-chrome')).toBe('/usr/bin/google-chrome');
  });

  it('says what to do when there is none, or BRINK_CHROMIUM names a missing file', () => {
    expect(() => findChromium({}, () => false)).toThrow(/set BRINK_CHROMIUM/);
    expect(() => findChromium({ BRINK_CHROMIUM: '/nope' }, () => false)).toThrow(/BRINK_CHROMIUM names \/nope, which does not exist/);
  });
});
