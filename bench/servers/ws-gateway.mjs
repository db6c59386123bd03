// ws-gateway: the local gateway (createGateway from ../../dist/emulator.js) in target mode, in
// front of a server already running (the container, ws-raw.mjs, whose URL is its argument), serving
// the HTTP trigger at the root as a custom domain does: each WebSocket handshake goes to the
// container over a connection of its own, and after its 101 the two sockets are piped. The relay
// section's via-gateway path. Its own port is a free one (port 0), printed on the ready line.
import { createGateway } from '../../dist/emulator.js';

const target = process.argv[2];
if (!target) throw new Error('usage: node ws-gateway.mjs <the container\'s URL, http://127.0.0.1:<port>>');
const gateway = await createGateway({ target, customDomain: true, concurrency: 200, port: 0 });
process.stdout.write(`ready ws-gateway ${gateway.port}\n`);
