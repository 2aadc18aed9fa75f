/**
 * Every Lambda handler of the system, by the name the route table and the CDK stack use.
 * The local stack runs exactly these modules; a test checks this registry against ROUTES.
 */
import type { Handler } from 'aws-lambda';
import * as deliveriesAttempts from '../functions/api/deliveries-attempts.ts';
import * as deliveriesList from '../functions/api/deliveries-list.ts';
import * as deliveriesResend from '../functions/api/deliveries-resend.ts';
import * as eventTypes from '../functions/api/event-types.ts';
import * as fallback from '../functions/api/fallback.ts';
import * as health from '../functions/api/health.ts';
import * as keysCreate from '../functions/api/keys-create.ts';
import * as keysLimit from '../functions/api/keys-limit.ts';
import * as keysList from '../functions/api/keys-list.ts';
import * as keysRevoke from '../functions/api/keys-revoke.ts';
import * as keysStatus from '../functions/api/keys-status.ts';
import * as keysUpdate from '../functions/api/keys-update.ts';
import * as openapi from '../functions/api/openapi.ts';
import * as sessionsCreate from '../functions/api/sessions-create.ts';
import * as sessionsDelete from '../functions/api/sessions-delete.ts';
import * as webhooksCreate from '../functions/api/webhooks-create.ts';
import * as webhooksDelete from '../functions/api/webhooks-delete.ts';
import * as webhooksGet from '../functions/api/webhooks-get.ts';
import * as webhooksHealth from '../functions/api/webhooks-health.ts';
import * as webhooksRecover from '../functions/api/webhooks-recover.ts';
import * as webhooksRecovery from '../functions/api/webhooks-recovery.ts';
import * as webhooksRotateSecret from '../functions/api/webhooks-rotate-secret.ts';
import * as webhooksTest from '../functions/api/webhooks-test.ts';
import * as webhooksUpdate from '../functions/api/webhooks-update.ts';
import * as dispatcher from '../functions/dispatcher/handler.ts';
import * as fanout from '../functions/fanout/handler.ts';

// biome-ignore lint/suspicious/noExplicitAny: handlers differ in event and result types
type AnyHandler = Handler<any, any>;

export const API_HANDLERS: Record<string, AnyHandler> = {
  health: health.handler,
  openapi: openapi.handler,
  'webhooks-get': webhooksGet.handler,
  'webhooks-create': webhooksCreate.handler,
  'webhooks-update': webhooksUpdate.handler,
  'webhooks-delete': webhooksDelete.handler,
  'webhooks-test': webhooksTest.handler,
  'webhooks-rotate-secret': webhooksRotateSecret.handler,
  'webhooks-recover': webhooksRecover.handler,
  'webhooks-recovery': webhooksRecovery.handler,
  'event-types': eventTypes.handler,
  'webhooks-health': webhooksHealth.handler,
  'deliveries-list': deliveriesList.handler,
  'deliveries-attempts': deliveriesAttempts.handler,
  'deliveries-resend': deliveriesResend.handler,
  'keys-create': keysCreate.handler,
  'keys-list': keysList.handler,
  'keys-revoke': keysRevoke.handler,
  'keys-update': keysUpdate.handler,
  'keys-status': keysStatus.handler,
  'keys-limit': keysLimit.handler,
  'sessions-create': sessionsCreate.handler,
  'sessions-delete': sessionsDelete.handler,
  fallback: fallback.handler,
};

export const QUEUE_HANDLERS = {
  fanout: fanout.handler as AnyHandler,
  dispatcher: dispatcher.handler as AnyHandler,
};
