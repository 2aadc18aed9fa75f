/**
 * What a route declares, once: everything the CDK stack (routes, functions, IAM grants), the local
 * stack (dispatch), the handler (parsing, authentication, rate limit) and the OpenAPI document need
 * to know about it. Pure data and zod schemas: lib/ imports these, never handler code.
 */
import type * as z from 'zod';
import type { TableName } from '../resources.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The DynamoDB actions the code calls. Grants are exactly these, on the tables (and indexes) named. */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem';

export interface RouteAccess {
  /** Actions per table. */
  tables?: Partial<Record<TableName, readonly DynamoAction[]>>;
  /** Actions on a table's secondary indexes (`Query` only). */
  indexes?: Partial<Record<TableName, readonly DynamoAction[]>>;
  /** Queues the handler sends to. */
  sends?: readonly ('events' | 'deliveries')[];
  /** Whether the handler decrypts or encrypts webhook secrets (reads the secret-encryption key). */
  secretKey?: boolean;
  /** Whether the handler makes outbound HTTPS calls (the test endpoint). */
  outbound?: boolean;
}

export interface HeaderSpec {
  description: string;
  schema: Record<string, unknown>;
}

export interface ResponseSpec {
  description: string;
  /** The body's schema; `ref` names it as a shared OpenAPI component. */
  schema?: z.ZodType;
  ref?: string;
  headers?: Record<string, HeaderSpec>;
}

export interface RouteSpec<
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  /** The handler's file name under functions/api/, and the function's logical name. */
  name: string;
  method: HttpMethod;
  /** The path below each API prefix, e.g. `/webhooks/test` (served as `/api/webhooks/test`, …). */
  path: string;
  summary: string;
  description?: string;
  /** `key`: a Bearer API key is required; `none`: public. */
  auth: 'key' | 'none';
  /** Counted against the key's requests-per-minute budget (contract §1: the webhook endpoints). */
  rateLimited: boolean;
  query?: Q;
  body?: B;
  /** Whether a body must be sent (DELETE /webhooks also takes its id in the query). @default true when `body` */
  bodyRequired?: boolean;
  /** Descriptions of the query parameters, for the OpenAPI document. */
  queryDescriptions?: Record<string, string>;
  /** Success responses by status. */
  responses: Record<number, ResponseSpec>;
  /** Error statuses it can answer (beyond 401/429/500, which the factory adds where they apply). */
  errors: readonly number[];
  access: RouteAccess;
}

/** Declares a route, keeping the schema types for the handler. */
export function defineRoute<
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<Q, B>): RouteSpec<Q, B> {
  return spec;
}
