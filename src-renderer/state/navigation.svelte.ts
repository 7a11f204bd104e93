import { firstRoute, parseRouteHash, routeHash, sameRoute, sectionOf, type Route, type Section } from '../lib/routes';
import { toasts } from './toasts.svelte';

export type { Route, Section };

/**
 * Which page of an open project is shown, kept in the address (the hash, beside the web host's
 * ?token=), so that back, forward and reload work in the browser as in any site.
 */
class Navigation {
  route = $state<Route>(parseRouteHash(location.hash) ?? firstRoute);

  constructor() {
    window.addEventListener('popstate', () => this.#follow());
  }

  go(route: Route): void {
    if (sameRoute(route, this.route)) return;
    this.route = route;
    history.pushState(null, '', routeHash(route));
    toasts.clearEarlier();
  }

  /** The section a page belongs to, for the side navigation. */
  get section(): Section {
    return sectionOf(this.route);
  }

  /** Another project, or none: its first page, and an address without a page (which back cannot return to). */
  reset(): void {
    this.route = firstRoute;
    history.replaceState(null, '', `${location.pathname}${location.search}`);
  }

  /** Back, forward, or an address typed in: show what it names. */
  #follow(): void {
    const route = parseRouteHash(location.hash) ?? firstRoute;
    if (sameRoute(route, this.route)) return;
    this.route = route;
    toasts.clearEarlier();
  }
}

export const navigation = new Navigation();
