import { defineRoute } from './route.ts';

export const route = defineRoute({
  name: 'openapi',
  method: 'GET',
  path: '/openapi.json',
  summary: 'This document',
  auth: 'none',
  rateLimited: false,
  responses: { 200: { description: 'The OpenAPI 3.1 document' } },
  errors: [],
  access: {},
});
