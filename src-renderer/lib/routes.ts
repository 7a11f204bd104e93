/** The pages of an open project, and their addresses: the part after '#', so that back, forward and reload work. */
export type Route =
  | { page: 'models' }
  | { page: 'model'; id: string }
  | { page: 'datasets' }
  | { page: 'dataset'; id: string }
  | { page: 'runs' }
  | { page: 'run'; id: string }
  /** The run configuration form. */
  | { page: 'new-run' }
  /** Screening new inputs from one forward pass each. */
  | { page: 'screen' }
  /** The audit report: settings, preview, export and the project's reports. */
  | { page: 'reports' }
  /** Every model side by side (issue 14). */
  | { page: 'leaderboard' }
  /** Checkpoint series: the trend of one model's margins through training. */
  | { page: 'series' };

export type Section = 'models' | 'datasets' | 'runs' | 'leaderboard' | 'series' | 'screen' | 'reports';

export const firstRoute: Route = { page: 'models' };

const sections: Record<Route['page'], Section> = {
  models: 'models',
  model: 'models',
  datasets: 'datasets',
  dataset: 'datasets',
  runs: 'runs',
  run: 'runs',
  'new-run': 'runs',
  screen: 'screen',
  reports: 'reports',
  leaderboard: 'leaderboard',
  series: 'series',
};

/** The side navigation's section of a page. */
export function sectionOf(route: Route): Section {
  return sections[route.page];
}

/** '#/models', '#/models/m-…', '#/runs/new', … */
export function routeHash(route: Route): string {
  switch (route.page) {
    case 'model':
      return `#/models/${route.id}`;
    case 'dataset':
      return `#/datasets/${route.id}`;
    case 'run':
      return `#/runs/${route.id}`;
    case 'new-run':
      return '#/runs/new';
    default:
      return `#/${route.page}`;
  }
}

const ITEM_ID = /^[a-z]-[0-9a-f]{8,32}$/;

/** The page an address names; null for anything else (an empty hash, a typo, an id of the wrong kind). */
export function parseRouteHash(hash: string): Route | null {
  if (hash === '#/screen') return { page: 'screen' };
  if (hash === '#/reports') return { page: 'reports' };
  if (hash === '#/leaderboard') return { page: 'leaderboard' };
  if (hash === '#/series') return { page: 'series' };
  const match = /^#\/(models|datasets|runs)(?:\/([^/]+))?$/.exec(hash);
  if (!match) return null;
  const [, section, rest] = match;
  if (rest === undefined) return { page: section as 'models' | 'datasets' | 'runs' };
  if (section === 'runs' && rest === 'new') return { page: 'new-run' };
  if (!ITEM_ID.test(rest) || rest[0] !== section[0]) return null;
  const page = ({ models: 'model', datasets: 'dataset', runs: 'run' } as const)[section as 'models' | 'datasets' | 'runs'];
  return { page, id: rest };
}

export function sameRoute(a: Route, b: Route): boolean {
  return routeHash(a) === routeHash(b);
}
