// A port on 127.0.0.1 that was free a moment ago (for servers the tests start as processes).
import net from 'node:net';

export async function freePort() {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}
