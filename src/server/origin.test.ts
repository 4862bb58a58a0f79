import { describe, expect, it } from 'vitest';
import { hostNameOf } from './origin.js';

describe('hostNameOf', () => {
  it('drops the port, case and a trailing dot; keeps IPv6 brackets', () => {
    expect(hostNameOf('LocalHost:7380')).toBe('localhost');
    expect(hostNameOf('127.0.0.1')).toBe('127.0.0.1');
    expect(hostNameOf('[::1]:7380')).toBe('[::1]');
    expect(hostNameOf('[::1]')).toBe('[::1]');
    expect(hostNameOf('slipway.example.:443')).toBe('slipway.example');
    // A rebinding name that merely starts like an allowed one stays itself.
    expect(hostNameOf('localhost.evil.example')).toBe('localhost.evil.example');
    expect(hostNameOf('127.0.0.1.nip.io:80')).toBe('127.0.0.1.nip.io');
  });
});
