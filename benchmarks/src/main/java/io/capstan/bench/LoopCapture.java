package io.capstan.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a large capture for whole-process comparisons ({@code benchmarks/compare-gstreamer.sh}): a fixture looped
 * with continuous RTP sequence numbers and timestamps (see {@link LoopedFixture}) until the file reaches the
 * requested size, as a classic microsecond pcap with Ethernet framing (IPv4/UDP 127.0.0.1:40000 to the SDP's
 * ports), capture times continuing from pass to pass.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.capstan.bench.LoopCapture FIXTURE MEGABYTES OUT.pcap [video-only]</pre>
 *
 * {@code video-only} keeps only the datagrams sent to the SDP's first m= port (the video stream of vp8_opus).
 */
public final class LoopCapture {

    private LoopCapture() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: LoopCapture FIXTURE MEGABYTES OUT.pcap [video-only]");
            System.exit(2);
        }
        LoopedFixture f = LoopedFixture.load(args[0]);
        long target = (long) (Double.parseDouble(args[1]) * 1_000_000);
        boolean videoOnly = args.length > 3 && args[3].equals("video-only");
        int videoPort = f.tracksByPort.keySet().iterator().next();
        long base = 1_795_255_200L * 1_000_000_000L;
        long written = 24;
        long packets = 0;
        long pass = 0;
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(Path.of(args[2])), 1 << 20)) {
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
            os.write(h.array());
            ByteBuffer p = ByteBuffer.allocate(16 + 14 + 28 + 65536);
            for (; written < target; pass++) {
                for (int i = 0; i < f.bytes.length; i++) {
                    if (videoOnly && f.port[i] != videoPort) {
                        continue;
                    }
                    if (!f.rtp[i]) {
                        if (pass > 0) {
                            continue; // RTCP: first pass only
                        }
                    } else {
                        f.patch(i, pass);
                    }
                    byte[] d = f.bytes[i];
                    int udpLen = 8 + d.length;
                    int ipLen = 20 + udpLen;
                    int frameLen = 14 + ipLen;
                    long t = base + pass * f.passNanos + f.atNanos[i];
                    p.clear();
                    p.order(ByteOrder.LITTLE_ENDIAN).putInt((int) (t / 1_000_000_000L))
                            .putInt((int) (t % 1_000_000_000L / 1000)).putInt(frameLen).putInt(frameLen);
                    p.order(ByteOrder.BIG_ENDIAN);
                    p.putInt(0x02000000).putShort((short) 0x0001).putInt(0x02000000).putShort((short) 0x0002)
                            .putShort((short) 0x0800);
                    int ip = p.position();
                    p.put((byte) 0x45).put((byte) 0).putShort((short) ipLen).putShort((short) 0).putShort((short) 0)
                            .put((byte) 64).put((byte) 17).putShort((short) 0).putInt(0x7f000001).putInt(0x7f000001);
                    int sum = 0;
                    for (int j = 0; j < 20; j += 2) {
                        sum += ((p.get(ip + j) & 0xFF) << 8) | (p.get(ip + j + 1) & 0xFF);
                    }
                    sum = (sum & 0xFFFF) + (sum >>> 16);
                    p.putShort(ip + 10, (short) ~sum);
                    p.putShort((short) 40000).putShort((short) f.port[i]).putShort((short) udpLen).putShort((short) 0);
                    p.put(d);
                    os.write(p.array(), 0, p.position());
                    written += p.position();
                    packets++;
                }
            }
        }
        System.out.printf("%s: %d datagrams, %d passes of %s, %d bytes%n", args[2], packets, pass, args[0], written);
    }
}
