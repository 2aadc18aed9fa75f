/**
 * What the functions' bundles use in place of `@aws-sdk/credential-provider-node`, the SDK's default
 * credential chain (environment, SSO, profiles, process, web identity, ECS, IMDS — with the STS and
 * SSO clients they need): in Lambda the credentials are in the environment, so that is the only
 * source bundled (lib/bundling.ts aliases the module here). Unbundled code — the local stack, the
 * tests, the operator scripts on a laptop — keeps the SDK's full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The export of `@aws-sdk/credential-provider-node` the SDK clients import. */
export const defaultProvider = (_init?: unknown) => fromEnv();
