/** The release version: sent as `User-Agent: Encrata-Webhooks/<version>`. Kept equal to package.json by a test. */
export const VERSION = '0.1.0';
export const USER_AGENT = `Encrata-Webhooks/${VERSION}`;
