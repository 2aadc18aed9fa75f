import * as z from 'zod';
import { defineRoute } from './route.ts';

export const healthOutSchema = z.object({ status: z.literal('ok'), version: z.string() });

export const route = defineRoute({
  name: 'health',
  method: 'GET',
  path: '/health',
  summary: 'Liveness',
  auth: 'none',
  rateLimited: false,
  responses: { 200: { description: 'Running', schema: healthOutSchema } },
  errors: [],
  access: {},
});
