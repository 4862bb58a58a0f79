import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealed, SecretBox } from './secrets.js';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips, with a fresh nonce each time and no plaintext in the output', () => {
    const a = box.seal('hunter2-signing-key', 'ctx');
    const b = box.seal('hunter2-signing-key', 'ctx');
    expect(a).toMatch(/^enc:v1:/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('hunter2');
    expect(isSealed(a)).toBe(true);
    expect(box.open(a, 'ctx')).toBe('hunter2-signing-key');
    expect(box.open(box.seal('', 'ctx'), 'ctx')).toBe('');
  });

  it('refuses another key, another context, and altered bytes, naming the key setting', () => {
    const sealed = box.seal('s3cret', 'alert_channel:a:secret');
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'alert_channel:a:secret')).toThrow(/SLIPWAY_SECRET_KEY/);
    expect(() => box.open(sealed, 'alert_channel:b:secret')).toThrow(/cannot be decrypted/);
    const bytes = Buffer.from(sealed.slice('enc:v1:'.length), 'base64');
    bytes[14] = bytes[14]! ^ 1;
    expect(() => box.open(`enc:v1:${bytes.toString('base64')}`, 'alert_channel:a:secret')).toThrow(/cannot be decrypted/);
    expect(() => box.open('enc:v1:AAAA', 'x')).toThrow(/cannot be decrypted/);
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
