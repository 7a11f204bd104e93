import { describe, expect, it } from 'vitest';
import { isTrustedSender, schemeAndHost } from './trusted-sender.js';

const app = 'app://brink';
const own = { fromAppWindow: true, topFrame: true, frameUrl: 'app://brink/index.html#/runs' };

describe('IPC sender check', () => {
  it("accepts the app's own page in its window's top frame", () => {
    expect(isTrustedSender(own, app)).toBe(true);
    expect(isTrustedSender({ ...own, frameUrl: 'http://localhost:5173/' }, 'http://localhost:5173')).toBe(true);
  });

  it.each([
    ['another window or webContents', { ...own, fromAppWindow: false }],
    ['an iframe inside the page', { ...own, topFrame: false }],
    ['a frame that has gone', { ...own, frameUrl: null }],
    ['a page on another app:// host', { ...own, frameUrl: 'app://evil/index.html' }],
    ['a web page', { ...own, frameUrl: 'https://brink/index.html' }],
    ['a local file', { ...own, frameUrl: 'file:///tmp/index.html' }],
    ['a data URL', { ...own, frameUrl: 'data:text/html,<script>1</script>' }],
    ['about:blank', { ...own, frameUrl: 'about:blank' }],
    ['a host that only starts like ours', { ...own, frameUrl: 'app://brink.evil/index.html' }],
    ['credentials in front of the host', { ...own, frameUrl: 'app://brink@evil/index.html' }],
    ['an unparsable URL', { ...own, frameUrl: 'not a url' }],
  ])('refuses %s', (_, sender) => {
    expect(isTrustedSender(sender, app)).toBe(false);
  });

  it("tells app:// hosts apart, which Node's URL.origin does not", () => {
    expect(new URL('app://evil/').origin).toBe(new URL('app://brink/').origin);
    expect(schemeAndHost('app://brink/index.html')).toBe('app://brink');
    expect(schemeAndHost('app://evil/index.html')).toBe('app://evil');
    expect(schemeAndHost('http://localhost:5173/x')).toBe('http://localhost:5173');
  });
});
