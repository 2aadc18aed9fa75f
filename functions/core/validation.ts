import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/** Parses `input` with `schema`, turning zod issues into a ValidationError with per-field details. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  message = 'Invalid request',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    message,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
