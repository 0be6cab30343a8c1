package io.capstan.pcap;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds capture files and frames byte by byte for tests. */
final class CaptureBytes {

    private CaptureBytes() {
    }

    /** A growable little/big-endian byte sink. */
    static final class Out {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final boolean bigEndian;

        Out(boolean bigEndian) {
            this.bigEndian = bigEndian;
        }

        Out u8(int v) {
            bytes.write(v);
            return this;
        }

        Out u16(int v) {
            ByteBuffer b = ByteBuffer.allocate(2).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            b.putShort((short) v);
            bytes.writeBytes(b.array());
            return this;
        }

        Out u32(long v) {
            ByteBuffer b = ByteBuffer.allocate(4).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            b.putInt((int) v);
            bytes.writeBytes(b.array());
            return this;
        }

        Out raw(byte[] data) {
            bytes.writeBytes(data);
            return this;
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }

    // ------------------------------------------------------------------ classic pcap

    static Out classicHeader(boolean bigEndian, boolean nanos, int linkType) {
        Out o = new Out(bigEndian);
        o.u32(nanos ? 0xA1B23C4DL : 0xA1B2C3D4L).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(linkType);
        return o;
    }

    static void classicRecord(Out o, long sec, long frac, byte[] frame) {
        o.u32(sec).u32(frac).u32(frame.length).u32(frame.length).raw(frame);
    }

    // ------------------------------------------------------------------ pcapng

    static void shb(Out o) {
        o.u32(0x0A0D0D0AL).u32(28).u32(0x1A2B3C4DL).u16(1).u16(0).u32(0xFFFFFFFFL).u32(0xFFFFFFFFL).u32(28);
    }

    /** IDB with an optional if_tsresol option ({@code tsresol < 0}: none). */
    static void idb(Out o, int linkType, int tsresol) {
        int len = 20 + (tsresol >= 0 ? 12 : 0);
        o.u32(1).u32(len).u16(linkType).u16(0).u32(65535);
        if (tsresol >= 0) {
            o.u16(9).u16(1).u8(tsresol).u8(0).u8(0).u8(0).u16(0).u16(0);
        }
        o.u32(len);
    }

    static void epb(Out o, int ifId, long ticks, byte[] frame) {
        int pad = (4 - frame.length % 4) % 4;
        int len = 32 + frame.length + pad;
        o.u32(6).u32(len).u32(ifId).u32(ticks >>> 32).u32(ticks & 0xFFFFFFFFL).u32(frame.length).u32(frame.length)
                .raw(frame).raw(new byte[pad]).u32(len);
    }

    static void spb(Out o, byte[] frame) {
        int pad = (4 - frame.length % 4) % 4;
        int len = 16 + frame.length + pad;
        o.u32(3).u32(len).u32(frame.length).raw(frame).raw(new byte[pad]).u32(len);
    }

    static void unknownBlock(Out o, int type, int bodyLen) {
        o.u32(type).u32(12 + bodyLen).raw(new byte[bodyLen]).u32(12 + bodyLen);
    }

    // ------------------------------------------------------------------ frames (network byte order)

    static byte[] udp(int srcPort, int dstPort, byte[] payload) {
        Out o = new Out(true);
        o.u16(srcPort).u16(dstPort).u16(8 + payload.length).u16(0).raw(payload);
        return o.toByteArray();
    }

    static byte[] ipv4(int proto, byte[] src, byte[] dst, int flagsFrag, byte[] body) {
        Out o = new Out(true);
        o.u8(0x45).u8(0).u16(20 + body.length).u16(0x1234).u16(flagsFrag).u8(64).u8(proto).u16(0).raw(src).raw(dst)
                .raw(body);
        return o.toByteArray();
    }

    /** IPv4 with 4 bytes of options (IHL 6). */
    static byte[] ipv4WithOptions(byte[] src, byte[] dst, byte[] udp) {
        Out o = new Out(true);
        o.u8(0x46).u8(0).u16(24 + udp.length).u16(0x1234).u16(0x4000).u8(64).u8(17).u16(0).raw(src).raw(dst)
                .u8(1).u8(1).u8(1).u8(0) // NOP NOP NOP EOL
                .raw(udp);
        return o.toByteArray();
    }

    static byte[] ipv4Udp(String src, String dst, int sport, int dport, byte[] payload) {
        return ipv4(17, v4(src), v4(dst), 0x4000, udp(sport, dport, payload));
    }

    /** IPv6 with the given chain of extension headers (each 8 bytes) before UDP. */
    static byte[] ipv6Udp(byte[] src, byte[] dst, int[] extHeaders, byte[] udp) {
        Out ext = new Out(true);
        for (int i = 0; i < extHeaders.length; i++) {
            int next = i + 1 < extHeaders.length ? extHeaders[i + 1] : 17;
            ext.u8(next).u8(0).u8(1).u8(4).u32(0); // next header, hdr ext len 0, PadN option of 4 bytes
        }
        byte[] e = ext.toByteArray();
        Out o = new Out(true);
        o.u32(0x60000000L).u16(e.length + udp.length).u8(extHeaders.length > 0 ? extHeaders[0] : 17).u8(64)
                .raw(src).raw(dst).raw(e).raw(udp);
        return o.toByteArray();
    }

    static byte[] ethernet(int[] vlanTpids, int etherType, byte[] body) {
        Out o = new Out(true);
        o.raw(new byte[] {0, 1, 2, 3, 4, 5}).raw(new byte[] {6, 7, 8, 9, 10, 11});
        for (int tpid : vlanTpids) {
            o.u16(tpid).u16(100);
        }
        o.u16(etherType).raw(body);
        return o.toByteArray();
    }

    static byte[] sll(int protocol, byte[] body) {
        Out o = new Out(true);
        o.u16(0).u16(772).u16(6).raw(new byte[8]).u16(protocol).raw(body);
        return o.toByteArray();
    }

    static byte[] sll2(int protocol, byte[] body) {
        Out o = new Out(true);
        o.u16(protocol).u16(0).u32(1).u16(772).u8(0).u8(6).raw(new byte[8]).raw(body);
        return o.toByteArray();
    }

    static byte[] nullLoopback(int family, boolean bigEndian, byte[] body) {
        Out o = new Out(bigEndian);
        o.u32(family).raw(body);
        return o.toByteArray();
    }

    static byte[] v4(String dotted) {
        String[] p = dotted.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) Integer.parseInt(p[i]);
        }
        return b;
    }

    static byte[] v6Loopback() {
        byte[] b = new byte[16];
        b[15] = 1;
        return b;
    }

    static byte[] v6Doc(int last) {
        byte[] b = new byte[16];
        b[0] = 0x20;
        b[1] = 0x01;
        b[2] = 0x0d;
        b[3] = (byte) 0xb8;
        b[15] = (byte) last;
        return b;
    }
}
