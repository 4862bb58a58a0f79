import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SlipwayError } from './errors.js';

/** Stored secrets start with this tag; the version names the scheme so a later one can coexist. */
const TAG = 'enc:v1:';
const NONCE_BYTES = 12;
const AUTH_TAG_BYTES = 16;

export const isSealed = (stored: string): boolean => stored.startsWith(TAG);

/**
 * Encrypts secrets before they reach the database (AES-256-GCM, a random nonce per value) and decrypts them
 * where they are used. `seal` output is `enc:v1:<base64 of nonce | ciphertext | tag>`. `context` (for example
 * `alert_channel:ops:secret`) is bound as associated data, so a sealed value copied into another row or field
 * does not open there.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('The secret key must be 32 bytes.');
  }

  seal(plain: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return TAG + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }

  /** The plaintext of a sealed value; throws UNAVAILABLE when this key did not seal it (or it was altered). */
  open(stored: string, context: string): string {
    if (!isSealed(stored)) throw new SlipwayError('INTERNAL', 'A stored secret is not sealed.');
    const bytes = Buffer.from(stored.slice(TAG.length), 'base64');
    try {
      if (bytes.length < NONCE_BYTES + AUTH_TAG_BYTES) throw new Error('too short');
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - AUTH_TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - AUTH_TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SlipwayError(
        'UNAVAILABLE',
        'A stored secret cannot be decrypted with this server\'s key: it was sealed with another SLIPWAY_SECRET_KEY (or <home>/secret.key). Start with the original key, or enter the secret again.',
      );
    }
  }
}
