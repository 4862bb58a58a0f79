import { isSealed, type SecretBox } from '../core/secrets.js';
import type { AlertChannelRow } from '../db/schema.js';

/**
 * A channel's URL and signing key are secrets at rest (a Slack webhook URL is itself a credential; a webhook URL
 * may carry a token): both are sealed with the server's key before they are stored, and opened only to send.
 * The sealing context binds each value to its channel and field.
 */
const sealContext = (name: string, field: 'url' | 'secret'): string => `alert_channel:${name}:${field}`;

/** The row with its URL and key sealed (values already sealed are kept). */
export const sealChannel = (row: AlertChannelRow, box: SecretBox): AlertChannelRow => ({
  ...row,
  url: isSealed(row.url) ? row.url : box.seal(row.url, sealContext(row.name, 'url')),
  secret: row.secret === null || isSealed(row.secret) ? row.secret : box.seal(row.secret, sealContext(row.name, 'secret')),
});

/** The channel with its URL and key in clear, to send with; throws UNAVAILABLE when this key cannot open them. */
export const openChannel = (row: AlertChannelRow, box: SecretBox): AlertChannelRow => ({
  ...row,
  url: isSealed(row.url) ? box.open(row.url, sealContext(row.name, 'url')) : row.url,
  secret: row.secret !== null && isSealed(row.secret) ? box.open(row.secret, sealContext(row.name, 'secret')) : row.secret,
});
