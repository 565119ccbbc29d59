import { z } from 'zod';

/**
 * A caller's `webhook:`: where Gatehouse POSTs each finished request, and the environment variable
 * holding the HMAC secret (the secret itself never sits in the file).
 */
export const WebhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
});

export type WebhookConfig = z.infer<typeof WebhookSchema>;
