/**
 * A queue URL on the port fauxqs listens on now: fauxqs persists the URL a queue was created with,
 * port included, and returns it on every later run (it finds queues by name and region, not port).
 */
export function currentQueueUrl(url: string, sqsEndpoint: string): string {
  const parsed = new URL(url);
  parsed.port = new URL(sqsEndpoint).port;
  return parsed.toString();
}
