import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken } from './page-token.js';

describe('page tokens', () => {
  it('round-trips an offset and reads no token as 0', () => {
    expect(decodePageToken(encodePageToken(0))).toBe(0);
    expect(decodePageToken(encodePageToken(1000))).toBe(1000);
    expect(encodePageToken(100)).toBe(Buffer.from('{"offset":100}').toString('base64'));
    expect(decodePageToken(undefined)).toBe(0);
    expect(decodePageToken(null)).toBe(0);
    expect(decodePageToken('')).toBe(0);
  });

  it.each([
    ['not base64', 'abc!'],
    ['not JSON', Buffer.from('offset=3').toString('base64')],
    ['no offset', Buffer.from('{"page":3}').toString('base64')],
    ['negative', Buffer.from('{"offset":-1}').toString('base64')],
    ['fractional', Buffer.from('{"offset":1.5}').toString('base64')],
    ['a string', Buffer.from('{"offset":"3"}').toString('base64')],
    ['null JSON', Buffer.from('null').toString('base64')],
  ])('rejects a token that is %s', (_, token) => {
    expect(() => decodePageToken(token)).toThrow(/^Invalid page_token /);
    try {
      decodePageToken(token);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('INVALID_ARGUMENT');
    }
  });
});
