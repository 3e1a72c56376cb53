import { configJsonSchema } from '../../config/json-schema.js';
import { printJson } from '../output.js';

export function schema(): Promise<void> {
  printJson(configJsonSchema());
  return Promise.resolve();
}
