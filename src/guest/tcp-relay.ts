// A program, not a module: relays standard input and output to HOST:PORT (127.0.0.1 unless given).
// lab runs it under `ip netns exec` to reach a guest's SSH, which answers in the lab namespace
// (QEMU's forward there, or a cluster's VM seen from the tester pod), from this one.
import { connect } from 'node:net';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write(`tcp-relay: not a port: ${process.argv[2]}\n`);
  process.exit(2);
}
const socket = connect(port, process.argv[3] ?? '127.0.0.1');
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', (err) => {
  process.stderr.write(err.message);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
