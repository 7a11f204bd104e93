import { describe, expect, it } from 'vitest';
import { parseRouteHash, routeHash, sameRoute, sectionOf, type Route } from './routes';

describe('page addresses', () => {
  const routes: Route[] = [
    { page: 'models' },
    { page: 'model', id: 'm-0123456789ab' },
    { page: 'datasets' },
    { page: 'dataset', id: 'd-0123456789ab' },
    { page: 'runs' },
    { page: 'run', id: 'r-0123456789ab' },
    { page: 'new-run' },
    { page: 'screen' },
    { page: 'reports' },
    { page: 'leaderboard' },
  ];

  it('gives every page an address that reads back as the same page', () => {
    for (const route of routes) expect(parseRouteHash(routeHash(route))).toEqual(route);
    expect(routeHash({ page: 'run', id: 'r-0123456789ab' })).toBe('#/runs/r-0123456789ab');
    expect(routeHash({ page: 'new-run' })).toBe('#/runs/new');
  });

  it('reads anything else as no page, so the app starts on its first one', () => {
    for (const hash of ['', '#', '#/', '#/nope', '#/leaderboard/m-0123456789ab', '#/runs/r-xyz', '#/models/r-0123456789ab', '#/runs/r-0123456789ab/more', '#/runs/<script>', '#/reports/p-0123456789ab', 'runs']) {
      expect(parseRouteHash(hash)).toBeNull();
    }
  });

  it('puts detail pages and the run form in their list’s section', () => {
    expect(sectionOf({ page: 'new-run' })).toBe('runs');
    expect(sectionOf({ page: 'leaderboard' })).toBe('leaderboard');
    expect(sectionOf({ page: 'dataset', id: 'd-0123456789ab' })).toBe('datasets');
    expect(sameRoute({ page: 'run', id: 'r-0123456789ab' }, { page: 'run', id: 'r-0123456789ab' })).toBe(true);
    expect(sameRoute({ page: 'run', id: 'r-0123456789ab' }, { page: 'runs' })).toBe(false);
  });
});
