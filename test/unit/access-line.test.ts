// The router's access-log line: the client as the trusted chain gives it, and a User-Agent that cannot forge a line.
import { describe, expect, it } from 'vitest';
import { accessLine, quoteField, type Exchange } from '../../proxy/edge/exchange.ts';
import { clientAddress, parseTrustedProxies } from '../../proxy/edge/trust.ts';
import { parseAccessLine } from '../../src/metrics/index.ts';

const trust = parseTrustedProxies('10.0.0.0/8, ::1');
const ex = (ua: string | null, client = '203.0.113.9'): Exchange => ({ id: 'req1', host: 'shop.localhost', start: 0, client, ua, bytes: 12, status: 502 });

describe('clientAddress', () => {
  it('is the peer when the peer is no trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress('::ffff:198.51.100.7', '1.2.3.4', trust)).toBe('198.51.100.7');
    expect(clientAddress('198.51.100.7', undefined, trust)).toBe('198.51.100.7');
    expect(clientAddress(undefined, '1.2.3.4', trust)).toBe('-');
  });

  it('walks a trusted peer\'s chain from the right to the first address that is not a trusted proxy', () => {
    expect(clientAddress('10.0.0.2', '203.0.113.9', trust)).toBe('203.0.113.9');
    // The client wrote "6.6.6.6" itself; a trusted proxy (10.1.1.1) appended what it saw, the router's peer the next.
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9, 10.1.1.1', trust)).toBe('203.0.113.9');
    expect(clientAddress('::1', '10.0.0.5, 10.0.0.6', trust)).toBe('10.0.0.5'); // all trusted: the farthest
    expect(clientAddress('10.0.0.2', 'not-an-ip, 10.0.0.7', trust)).toBe('10.0.0.7'); // garbage ends the walk
    expect(clientAddress('10.0.0.2', '', trust)).toBe('10.0.0.2');
  });
});

describe('access line', () => {
  it('ends with the client and the quoted user agent, and still parses', () => {
    const line = accessLine('GET', '/x', ex('curl/8.5.0'), 7);
    expect(line).toBe('GET shop.localhost /x 502 12 7 req1 203.0.113.9 "curl/8.5.0"');
    expect(parseAccessLine(line)).toEqual({ status: 502, ms: 7 });
    expect(accessLine('GET', '/x', ex(null), 7)).toMatch(/ req1 203\.0\.113\.9 "-"$/);
  });

  it('escapes quotes, backslashes, CR, LF and other controls, so a hostile user agent cannot forge a line or a field', () => {
    const hostile = 'a" 200 0 0 x 1.2.3.4 "b\\\r\n2026-01-01T00:00:00Z GET admin / 200 1 1 forged\u0085\u2028\u202e\u001b[31m';
    const line = accessLine('GET', '/', ex(hostile), 1);
    expect(line.split(/[\r\n\u0085\u2028\u2029]/)).toHaveLength(1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may be left in the line
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(line).toBe(`GET shop.localhost / 502 12 1 req1 203.0.113.9 "a\\" 200 0 0 x 1.2.3.4 \\"b\\\\\\u000d\\u000a2026-01-01T00:00:00Z GET admin / 200 1 1 forged\\u0085\\u2028\\u202e\\u001b[31m"`);
    // The status and time are the router's, not the ones written into the user agent.
    expect(parseAccessLine(line)).toEqual({ status: 502, ms: 1 });
    expect(parseAccessLine(accessLine('GET', '/', ex('ends with a backslash \\'), 3))).toEqual({ status: 502, ms: 3 });
  });

  it('cuts a long user agent', () => {
    expect(quoteField('x'.repeat(5000))).toBe(`"${'x'.repeat(512)}..."`);
  });
});
