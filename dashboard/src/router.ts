import { useEffect, useState } from 'preact/hooks';

/** The page's places, kept in the URL hash so the back button and reloads work. */
export type Route =
  | { name: 'list' }
  | { name: 'webhook'; id: string }
  | { name: 'deliveries' }
  | { name: 'event-types' }
  | { name: 'keys' };

export function parseRoute(hash: string): Route {
  const match = /^#\/webhooks\/([\w-]{1,100})$/.exec(hash);
  if (match?.[1]) return { name: 'webhook', id: match[1] };
  if (hash === '#/deliveries') return { name: 'deliveries' };
  if (hash === '#/event-types') return { name: 'event-types' };
  if (hash === '#/settings/api-keys') return { name: 'keys' };
  return { name: 'list' };
}

export function hrefFor(route: Route): string {
  switch (route.name) {
    case 'webhook':
      return `#/webhooks/${route.id}`;
    case 'deliveries':
      return '#/deliveries';
    case 'event-types':
      return '#/event-types';
    case 'keys':
      return '#/settings/api-keys';
    default:
      return '#/';
  }
}

/** A string that changes exactly when the view changes (focus moves to its heading then). */
export function routeKey(route: Route): string {
  return route.name === 'webhook' ? `webhook:${route.id}` : route.name;
}

export function navigate(route: Route): void {
  const href = hrefFor(route);
  if (location.hash !== href) location.hash = href;
}

/** The current route, following `hashchange`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
