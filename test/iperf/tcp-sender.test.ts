/**
 * The TCP sender's two promises to the server around TEST_END: it hands the event loop back after
 * about one MiB per stream (so the control message that ends the test is read promptly), and once
 * stopped for the close its count is what the kernel took, not what was passed to write().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Socket } from 'node:net';
import { StreamStats } from '../../src/iperf/stream.js';
import { SendBudget, TcpSender } from '../../src/iperf/tcp-data.js';

const BLOCK = Buffer.alloc(128 * 1024, 0x61);

test('a sender writes about one MiB before it yields to the event loop, however much the socket takes', () => {
  // a socket that takes everything at once: only the sender's own limit ends a turn
  let written = 0;
  const sock = {
    destroyed: false,
    write: (b: Buffer) => {
      written += b.length;
      return true;
    },
    on: () => sock,
    once: () => sock,
  } as unknown as Socket;
  const st = new StreamStats(1, true, 5);
  const sender = new TcpSender(sock, st, BLOCK, new SendBudget(0, 0, () => {}), null, 1);
  sender.start(); // the first turn runs now; the next one waits for setImmediate
  sender.stop();
  // iperf3 writes 10 blocks of 128 KiB per stream between two looks at its control socket
  assert.ok(written > 0 && written <= 1024 * 1024, `one turn wrote ${written} bytes`);
  assert.equal(st.bytes, written);
});

test('stopped for the close, a sender counts what the kernel took: exactly what the peer reads', async () => {
  let read = 0;
  let counted = -1;
  let queued = 0;
  await new Promise<void>((resolve) => {
    const srv = net.createServer((peer) => {
      peer.pause(); // reads nothing until the sender is gone: the sender's write queue backs up
      peer.on('data', (d: Buffer) => {
        read += d.length;
      });
      peer.on('end', () => {
        srv.close();
        resolve();
      });
      setTimeout(() => {
        sender.stopForClose();
        counted = st.bytes;
        sock.destroy(); // as the server closes its data sockets at TEST_END
        peer.resume();
      }, 200);
    });
    const st = new StreamStats(1, true, 5);
    let sender: TcpSender;
    let sock: Socket;
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      sock = net.connect(port, '127.0.0.1', () => {
        sender = new TcpSender(sock, st, BLOCK, new SendBudget(0, 0, () => {}), null, 1);
        sender.start();
        setTimeout(() => {
          queued = sock.writableLength;
        }, 150);
      });
    });
  });
  // Node still held part of a write when the test ended (else this would prove nothing)
  assert.ok(queued > 0, 'the send queue had not backed up');
  assert.equal(read, counted, `the peer read ${read} bytes, the sender counted ${counted}`);
});
