import { describe, expect, it } from 'vitest';
import { showOpened, type OpenEnvironment } from './open-file';

function fakeEnvironment() {
  const tabs: string[] = [];
  const env: OpenEnvironment = { token: 'tok en', openTab: (url) => tabs.push(url) };
  return { env, tabs };
}

describe('showing a kept file the host opened', () => {
  it("opens the web host's view in a new tab with the launch token", () => {
    const { env, tabs } = fakeEnvironment();
    showOpened({ kind: 'view', url: '/view/abc/audit%20%C3%A9.pdf', name: 'audit é.pdf' }, env);
    expect(tabs).toEqual(['/view/abc/audit%20%C3%A9.pdf?token=tok%20en']);
  });

  it("opens no tab for a file the desktop app's viewer already has", () => {
    const { env, tabs } = fakeEnvironment();
    showOpened({ kind: 'opened', path: '/home/a/audit.pdf' }, env);
    expect(tabs).toEqual([]);
  });

  it('refuses a view at any other address', () => {
    const { env, tabs } = fakeEnvironment();
    expect(() => showOpened({ kind: 'view', url: 'https://elsewhere.example/x.pdf', name: 'x.pdf' }, env)).toThrow(/unexpected address/);
    expect(() => showOpened({ kind: 'view', url: '/download/abc', name: 'x.pdf' }, env)).toThrow(/unexpected address/);
    expect(tabs).toEqual([]);
  });
});
