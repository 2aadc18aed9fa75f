import { useEffect, useState } from 'preact/hooks';

/** The page's two places, kept in the URL hash so the back button and reloads work. */
export type Route = { name: 'list' } | { name: 'webhook'; id: string };

export function parseRoute(hash: string): Route {
  const match = /^#\/webhooks\/([\w-]{1,100})$/.exec(hash);
  return match?.[1] ? { name: 'webhook', id: match[1] } : { name: 'list' };
}

export function hrefFor(route: Route): string {
  return route.name === 'webhook' ? `#/webhooks/${route.id}` : '#/';
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
