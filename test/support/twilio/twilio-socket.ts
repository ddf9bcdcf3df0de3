import WebSocket from 'ws';
import { twilioSignature } from '../../../voice-node/src/twilio/signature.ts';

/**
 * Opens a WebSocket the way Twilio does for Media Streams and ConversationRelay: to a local
 * `ws://` address standing in for the public `wss://` URL from the TwiML, with `X-Twilio-Signature`
 * computed over that public URL and no parameters. Attack tests override or omit the signature.
 */

/** How the simulated Twilio authenticates its WebSocket upgrade. */
export interface TwilioSocketOptions {
  /** Where to connect locally, e.g. `ws://127.0.0.1:8001/twilio/media`. */
  wsUrl: string;
  /** The public `wss://` URL Twilio would have signed (from the TwiML). */
  signedUrl: string;
  /** Signs the upgrade; ignored when `signature` is given. */
  authToken?: string;
  /** A fixed header value, or `null` to send no signature at all. */
  signature?: string | null;
  /** Extra upgrade headers. */
  headers?: Record<string, string>;
  /** Give up on the handshake after this long (default 5 s). */
  connectTimeoutMs?: number;
}

/** The server refused the upgrade (Twilio logs this as error 31920). */
export class WebSocketUpgradeError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`WebSocket upgrade refused with HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'WebSocketUpgradeError';
  }
}

/** The signature header value the simulated Twilio sends, or undefined for none. */
export function upgradeSignature(options: TwilioSocketOptions): string | undefined {
  if (options.signature === null) return undefined;
  if (options.signature !== undefined) return options.signature;
  if (options.authToken === undefined) throw new Error('authToken or signature is required');
  return twilioSignature(options.authToken, options.signedUrl, {});
}

/** Opens the socket; rejects with `WebSocketUpgradeError` on a non-101 answer. */
export function openTwilioSocket(options: TwilioSocketOptions): Promise<WebSocket> {
  const headers: Record<string, string> = { 'User-Agent': 'Twilio.TmeWs/1.0', ...options.headers };
  const signature = upgradeSignature(options);
  if (signature !== undefined) headers['X-Twilio-Signature'] = signature;
  const socket = new WebSocket(options.wsUrl, {
    headers,
    handshakeTimeout: options.connectTimeoutMs ?? 5000,
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    // The error listener stays: after open it swallows nothing the caller's own listener won't see.
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.once('end', () => {
        request.destroy();
        reject(new WebSocketUpgradeError(response.statusCode ?? 0, body));
      });
      response.once('error', () => reject(new WebSocketUpgradeError(response.statusCode ?? 0, body)));
    });
    socket.on('error', (error) => reject(error));
  });
}
