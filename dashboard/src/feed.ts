import type { Delivery } from './api.ts';

/**
 * Merges the newest page just read into what is shown: the page replaces everything as new as its
 * oldest item (new deliveries, changed statuses), older pages loaded by "Load older" stay below it.
 * Delivery ids sort by time, so "as new as" is a string comparison.
 */
export function mergeNewest(
  shown: readonly Delivery[],
  newest: readonly Delivery[],
  newestIsAll: boolean,
): Delivery[] {
  if (newestIsAll) return [...newest];
  const floor = newest.at(-1)?.id;
  if (floor === undefined) return [...shown];
  return [...newest, ...shown.filter((delivery) => delivery.id < floor)];
}
