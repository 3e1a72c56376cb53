import * as z from 'zod';
import { configSchema } from './schema.js';

/** The JSON Schema of isolane.yaml, for editors; committed as schema/isolane.schema.json. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
}
