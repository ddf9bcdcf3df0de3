import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bodySHA256,
  formParams,
  signatureUrlCandidates,
  twilioSignature,
  validateTwilioSignature,
  validateTwilioSignatureWithBody,
} from './signature.ts';

/** X-Twilio-Signature: vectors computed here by hand (and Twilio's documented example), port spellings, JSON bodies. */

/** Reference HMAC over a data string written out by hand (no sorting logic shared with the code). */
const hmac = (token: string, data: string) => createHmac('sha1', token).update(data, 'utf8').digest('base64');

const DOCS_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const DOCS_PARAMS = {
  To: '+18005551212',
  Digits: '1234',
  From: '+12349013030',
  Caller: '+12349013030',
  CallSid: 'CA1234567890ABCDE',
};

describe('twilioSignature', () => {
  it('matches the classic Twilio documentation example', () => {
    expect(twilioSignature('12345', DOCS_URL, DOCS_PARAMS)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(
      hmac(
        '12345',
        `${DOCS_URL}CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212`,
      ),
    ).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('signs the bare URL when there are no parameters (WebSocket upgrades)', () => {
    const url = 'wss://agent.example.com/twilio/media';
    expect(twilioSignature('secret', url)).toBe(hmac('secret', url));
    expect(twilioSignature('secret', url, {})).toBe(hmac('secret', url));
  });

  it('sorts names by code unit and appends repeated keys once per distinct sorted value', () => {
    const params = { b: 'x', StatusCallbackEvent: ['ringing', 'answered', 'ringing'], a: 'y', B: 'z' };
    const expected = hmac('tok', 'https://h/pBzStatusCallbackEventansweredStatusCallbackEventringingaybx');
    expect(twilioSignature('tok', 'https://h/p', params)).toBe(expected);
  });

  it('hashes UTF-8 bytes of non-ASCII values', () => {
    const expected = createHmac('sha1', 'tok')
      .update(Buffer.from('https://h/pCallerNameZoë 🎧', 'utf8'))
      .digest('base64');
    expect(twilioSignature('tok', 'https://h/p', { CallerName: 'Zoë 🎧' })).toBe(expected);
  });
});

describe('validateTwilioSignature', () => {
  it('accepts the documented example and rejects any change', () => {
    const signature = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';
    expect(
      validateTwilioSignature({ authToken: '12345', signature, url: DOCS_URL, params: DOCS_PARAMS }),
    ).toBe(true);
    expect(
      validateTwilioSignature({
        authToken: '12345',
        signature,
        url: DOCS_URL,
        params: { ...DOCS_PARAMS, Digits: '1235' },
      }),
    ).toBe(false);
    expect(
      validateTwilioSignature({ authToken: '12346', signature, url: DOCS_URL, params: DOCS_PARAMS }),
    ).toBe(false);
    expect(
      validateTwilioSignature({
        authToken: '12345',
        signature,
        url: 'https://mycompany.com/myapp.php?foo=1&bar=3',
        params: DOCS_PARAMS,
      }),
    ).toBe(false);
    expect(
      validateTwilioSignature({
        authToken: '12345',
        signature: `${signature}x`,
        url: DOCS_URL,
        params: DOCS_PARAMS,
      }),
    ).toBe(false);
  });

  it('rejects a missing or empty signature header and an empty token', () => {
    const url = 'wss://a.example/twilio/media';
    for (const signature of [undefined, null, '']) {
      expect(validateTwilioSignature({ authToken: 't', signature, url })).toBe(false);
    }
    expect(validateTwilioSignature({ authToken: '', signature: hmac('', url), url })).toBe(false);
  });

  it('accepts a signature over the URL with the default port when we know it without, and vice versa', () => {
    const withPort = hmac('t', 'https://mycompany.com:443/myapp.php?foo=1');
    const withoutPort = hmac('t', 'https://mycompany.com/myapp.php?foo=1');
    for (const url of [
      'https://mycompany.com/myapp.php?foo=1',
      'https://mycompany.com:443/myapp.php?foo=1',
    ]) {
      expect(validateTwilioSignature({ authToken: 't', signature: withPort, url })).toBe(true);
      expect(validateTwilioSignature({ authToken: 't', signature: withoutPort, url })).toBe(true);
    }
    const wss = hmac('t', 'wss://agent.example.com:443/twilio/media');
    expect(
      validateTwilioSignature({
        authToken: 't',
        signature: wss,
        url: 'wss://agent.example.com/twilio/media',
      }),
    ).toBe(true);
    const http80 = hmac('t', 'http://agent.example.com:80/hook');
    expect(
      validateTwilioSignature({ authToken: 't', signature: http80, url: 'http://agent.example.com/hook' }),
    ).toBe(true);
    // A non-default port is part of the URL: no other spelling is accepted.
    const other = hmac('t', 'https://mycompany.com/myapp.php?foo=1');
    expect(
      validateTwilioSignature({
        authToken: 't',
        signature: other,
        url: 'https://mycompany.com:8443/myapp.php?foo=1',
      }),
    ).toBe(false);
  });

  it('lists the URL spellings without duplicates', () => {
    expect(signatureUrlCandidates('https://a.example/x?y=1')).toEqual([
      'https://a.example/x?y=1',
      'https://a.example:443/x?y=1',
    ]);
    expect(signatureUrlCandidates('ws://127.0.0.1:8001/twilio/media')).toEqual([
      'ws://127.0.0.1:8001/twilio/media',
    ]);
    expect(signatureUrlCandidates('not a url')).toEqual(['not a url']);
  });

  it('checks form parameters with repeated keys', () => {
    const body = 'To=%2B1555&StatusCallbackEvent=ringing&StatusCallbackEvent=answered';
    const params = formParams(body);
    expect(params).toEqual({ To: '+1555', StatusCallbackEvent: ['ringing', 'answered'] });
    const signature = hmac('t', 'https://h/cStatusCallbackEventansweredStatusCallbackEventringingTo+1555');
    expect(validateTwilioSignature({ authToken: 't', signature, url: 'https://h/c', params })).toBe(true);
  });
});

describe('validateTwilioSignatureWithBody', () => {
  const body = '{"CallSid":"CA1","event":"x"}';
  const hash = createHash('sha256').update(body, 'utf8').digest('hex');
  const url = `https://agent.example.com/twilio/json?bodySHA256=${hash}`;

  it('hashes the body in hex', () => {
    expect(bodySHA256(body)).toBe(hash);
  });

  it('accepts a signed URL whose bodySHA256 matches the body', () => {
    expect(validateTwilioSignatureWithBody({ authToken: 't', signature: hmac('t', url), url, body })).toBe(
      true,
    );
  });

  it('rejects a tampered body, a missing hash, or a bad URL signature', () => {
    expect(
      validateTwilioSignatureWithBody({ authToken: 't', signature: hmac('t', url), url, body: `${body} ` }),
    ).toBe(false);
    const bare = 'https://agent.example.com/twilio/json';
    expect(
      validateTwilioSignatureWithBody({ authToken: 't', signature: hmac('t', bare), url: bare, body }),
    ).toBe(false);
    expect(validateTwilioSignatureWithBody({ authToken: 't', signature: hmac('u', url), url, body })).toBe(
      false,
    );
  });
});
