export type Route =
  | { page: 'models' }
  | { page: 'model'; id: string }
  | { page: 'datasets' }
  | { page: 'dataset'; id: string };

/** Which page of an open project is shown. */
class Navigation {
  route = $state<Route>({ page: 'models' });

  go(route: Route): void {
    this.route = route;
  }

  /** The section a page belongs to, for the side navigation. */
  get section(): 'models' | 'datasets' {
    return this.route.page === 'model' || this.route.page === 'models' ? 'models' : 'datasets';
  }

  reset(): void {
    this.route = { page: 'models' };
  }
}

export const navigation = new Navigation();
