/** One subscribable event type and what triggers it. */
export interface CatalogueEntry {
  type: string;
  description: string;
}

/**
 * The subscribable events, in the order of the contract's catalogue. Generated at build time from
 * functions/core/events.ts, so the page always offers exactly what the API accepts.
 */
export const EVENT_CATALOGUE: readonly CatalogueEntry[] = __EVENT_CATALOGUE__;

/** The description of `type`, or an empty string for types this build does not know. */
export function describeEvent(type: string): string {
  return EVENT_CATALOGUE.find((entry) => entry.type === type)?.description ?? '';
}
