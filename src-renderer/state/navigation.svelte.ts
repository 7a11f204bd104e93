export type Route =
  | { page: 'models' }
  | { page: 'model'; id: string }
  | { page: 'datasets' }
  | { page: 'dataset'; id: string }
  | { page: 'runs' }
  | { page: 'run'; id: string }
  /** The run configuration form. */
  | { page: 'new-run' };

export type Section = 'models' | 'datasets' | 'runs';

const sections: Record<Route['page'], Section> = {
  models: 'models',
  model: 'models',
  datasets: 'datasets',
  dataset: 'datasets',
  runs: 'runs',
  run: 'runs',
  'new-run': 'runs',
};

/** Which page of an open project is shown. */
class Navigation {
  route = $state<Route>({ page: 'models' });

  go(route: Route): void {
    this.route = route;
  }

  /** The section a page belongs to, for the side navigation. */
  get section(): Section {
    return sections[this.route.page];
  }

  reset(): void {
    this.route = { page: 'models' };
  }
}

export const navigation = new Navigation();
