// tcp-pipe: the relay section's floor. The barest relay Node can run in front of the container: a
// TCP server whose every connection is piped both ways to a connection of its own to the
// container (whose URL is its argument). No HTTP parsing, no FC rule, no bookkeeping: two reads
// and two writes per echo, what any relay written in Node pays. Its own port (0: a free one) is
// printed on the ready line.
import { connect, createServer } from 'node:net';

const target = process.argv[2];
if (!target) throw new Error('usage: node tcp-pipe.mjs <the container\'s URL, http://127.0.0.1:<port>>');
const { hostname, port } = new URL(target);

function destroyBoth() {
  this.destroy();
  this.peer.destroy();
}

const server = createServer({ noDelay: true }, (caller) => {
  const container = connect({ host: hostname, port: Number(port), noDelay: true });
  caller.peer = container;
  container.peer = caller;
  caller.pipe(container);
  container.pipe(caller);
  for (const socket of [caller, container]) {
    socket.on('error', destroyBoth);
    socket.on('close', destroyBoth);
  }
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready tcp-pipe ${server.address().port}\n`);
});
