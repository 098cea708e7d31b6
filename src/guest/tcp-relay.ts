// A program, not a module: relays standard input and output to 127.0.0.1:PORT. lab runs it under
// `ip netns exec` to reach a guest's SSH forward, which listens in the lab namespace, from this one.
import { connect } from 'node:net';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write(`tcp-relay: not a port: ${process.argv[2]}\n`);
  process.exit(2);
}
const socket = connect(port, '127.0.0.1');
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', (err) => {
  process.stderr.write(err.message);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
