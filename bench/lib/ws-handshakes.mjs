// The websocket section's load client: each loop opens one WebSocket after another over bare
// TCP (node:net), with the bytes of RFC 6455 written out by hand, so the client costs a fraction
// of what the server it measures does and the server's core, not the client's, sets the rate (a
// `ws` client per connection spends more CPU than the server: it generated its key, checked the
// accept and parsed frames in JavaScript, and held the load to what one client core could offer).
// Every connection is checked: the 101 with the accept value for its key (RFC 6455 §4.2.2), the
// echo byte for byte, the server's close frame (1000) after the client's, then the TCP close.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

/** The key of RFC 6455 §1.3's example and the accept value it gives. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
/** A fixed masking key: the client must mask (§5.3); which key does not matter to the server. */
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const ACCEPT_LINE = new RegExp(`^sec-websocket-accept: ${ACCEPT.replace(/[+]/g, '\\+')}$`, 'im');

function masked(opcode, payload) {
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x80 | opcode; // FIN
  frame[1] = 0x80 | payload.length; // MASK, a 7-bit length (< 126)
  MASK.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ MASK[i % 4];
  return frame;
}

/**
 * The bytes of one connection's life, and what the server must answer, for `message` (under 126
 * bytes) to `host:port`.
 */
export function handshakeScript(host, port, message) {
  const payload = Buffer.from(message);
  const request = `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n`
    + `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n\r\n`;
  return {
    host,
    port,
    request: Buffer.from(request, 'latin1'),
    // The text message, then the client's close (1000), in one write once the echo is in.
    message: masked(0x1, payload),
    close: masked(0x8, Buffer.from([0x03, 0xe8])),
    // The server's unmasked echo, then its close frame with 1000.
    echo: Buffer.concat([Buffer.from([0x81, payload.length]), payload]),
    closeReply: Buffer.from([0x88, 0x02, 0x03, 0xe8]),
  };
}

/**
 * One connection: handshake, the message and its echo, the client's close, the server's close
 * and its end of the TCP connection. Calls `done(error, handshakeMs, totalMs)` once, `error`
 * undefined when every byte was as expected.
 */
export function rawRoundTrip(script, done, timeoutMs = 10_000) {
  const started = performance.now();
  let handshakeMs = NaN;
  const socket = connect(script.port, script.host);
  let received = Buffer.alloc(0);
  let stage = 0; // 0: waiting for the 101, 1: for the echo, 2: for the server's close, 3: for the end
  let failure;
  const fail = (text) => {
    failure ??= new Error(text);
    socket.destroy();
  };
  const timer = setTimeout(() => fail(`no close within ${timeoutMs} ms`), timeoutMs);
  socket.setNoDelay(true);
  socket.on('connect', () => socket.write(script.request));
  socket.on('data', (chunk) => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    if (stage === 0) {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.toString('latin1', 0, end);
      if (!head.startsWith('HTTP/1.1 101 ')) return fail(`answered ${JSON.stringify(head.split('\r\n')[0])}`);
      if (!ACCEPT_LINE.test(head)) return fail('a wrong Sec-WebSocket-Accept');
      handshakeMs = performance.now() - started;
      received = received.subarray(end + 4);
      stage = 1;
      socket.write(script.message);
    }
    if (stage === 1) {
      if (received.length < script.echo.length) return;
      if (!received.subarray(0, script.echo.length).equals(script.echo)) return fail('a wrong echo');
      received = received.subarray(script.echo.length);
      stage = 2;
      socket.write(script.close);
    }
    if (stage === 2) {
      if (received.length < script.closeReply.length) return;
      if (!received.subarray(0, script.closeReply.length).equals(script.closeReply)) return fail('no close frame (1000) from the server');
      received = received.subarray(script.closeReply.length);
      stage = 3;
    }
    if (stage === 3 && received.length > 0) fail('bytes after the close frame');
  });
  socket.on('end', () => {
    if (stage !== 3) fail(`the server ended the connection early (stage ${stage})`);
    else socket.end();
  });
  socket.on('error', (error) => { failure ??= error; });
  socket.on('close', () => {
    clearTimeout(timer);
    if (!failure && stage !== 3) failure = new Error(`closed early (stage ${stage})`);
    done(failure, handshakeMs, performance.now() - started);
  });
}
