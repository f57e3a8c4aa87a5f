// A TCP proxy in front of the test Temporal server, to make it unreachable on demand the two ways a
// network fails: connections refused (the server is down), or accepted and never answered (a
// partition, a hung frontend).
import net from 'node:net';

export interface TcpProxy {
  address: string;
  /** From now on: refuse connections, or accept and never answer; open connections are cut. */
  cut(how: 'refuse' | 'blackhole'): void;
  close(): void;
}

export async function tcpProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [
    target.slice(0, target.lastIndexOf(':')),
    Number(target.slice(target.lastIndexOf(':') + 1)),
  ];
  const sockets = new Set<net.Socket>();
  let mode: 'forward' | 'blackhole' = 'forward';
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    track(client);
    if (mode === 'blackhole') return; // read nothing, answer nothing
    const upstream = net.connect(port, host);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    address,
    cut(how) {
      if (how === 'refuse') server.close();
      else mode = 'blackhole';
      dropAll();
    },
    close() {
      server.close();
      dropAll();
    },
  };
}
