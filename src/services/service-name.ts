/** A service's name in isolane.yaml `services:`. Apart from schema.ts: the state files are read without loading zod. */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,29}$/;
