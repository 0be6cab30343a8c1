package io.capstan.codec;

import io.capstan.rtp.RtpPacket;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A test-scope AV1 RTP packetizer following the AOM "RTP Payload Format For AV1" v1.0 (Debian 12's ffmpeg and
 * GStreamer have none): turns temporal units in the low overhead bitstream format (AV1 5.2, as ffmpeg's
 * {@code -f obu} writes them) into RTP payloads:
 * <ul>
 *   <li>temporal delimiters and tile lists are not sent (RTP 5);</li>
 *   <li>every OBU loses its obu_size (obu_has_size_field = 0, RTP 4.5 "SHOULD"), unless {@link #keepSizeFields};</li>
 *   <li>OBU elements are aggregated into packets of at most {@code mtu} payload bytes and fragmented across
 *       packets when they do not fit (Z/Y bits, RTP 4.4);</li>
 *   <li>W is the element count when a packet holds 1-3 elements (the last without a length field), else 0 (every
 *       element with a leb128 length) — or always 0 with {@link #alwaysW0};</li>
 *   <li>N=1 on the first packet of a temporal unit that carries a sequence header (a new coded video sequence:
 *       libaom sends it with every key frame); the marker bit on the last packet of a temporal unit (RTP 4.2).</li>
 * </ul>
 */
public final class Av1TestPacketizer {

    private final int mtu;
    private boolean alwaysW0;
    private boolean keepSizeFields;

    public Av1TestPacketizer(int mtu) {
        if (mtu < 8) {
            throw new IllegalArgumentException("mtu too small");
        }
        this.mtu = mtu;
    }

    /** Always W=0: a leb128 length in front of every element. */
    public Av1TestPacketizer alwaysW0() {
        alwaysW0 = true;
        return this;
    }

    /** Sends OBUs with their obu_size (obu_has_size_field = 1), which receivers must accept too. */
    public Av1TestPacketizer keepSizeFields() {
        keepSizeFields = true;
        return this;
    }

    /** One OBU of a low overhead bitstream: its type and where it lies. */
    public record Obu(int type, byte[] data, int headerStart, int headerLength, int payloadStart, int payloadLength) {
        /** The OBU as an RTP element: header (with or without the size field) and payload. */
        byte[] element(boolean withSize) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int h = data[headerStart] & 0xFF;
            out.write(withSize ? h | 0x02 : h & ~0x02);
            if (headerLength == 2) {
                out.write(data[headerStart + 1]);
            }
            if (withSize) {
                writeLeb128(out, payloadLength);
            }
            out.write(data, payloadStart, payloadLength);
            return out.toByteArray();
        }
    }

    /** Splits a low overhead bitstream (every OBU with obu_size) into OBUs. */
    public static List<Obu> obus(byte[] b) {
        List<Obu> out = new ArrayList<>();
        int pos = 0;
        while (pos < b.length) {
            int h = b[pos] & 0xFF;
            if ((h & 0x02) == 0) {
                throw new IllegalArgumentException("OBU without obu_size at " + pos);
            }
            int headerLength = (h & 0x04) != 0 ? 2 : 1;
            long[] leb = readLeb128(b, pos + headerLength);
            int payload = pos + headerLength + (int) leb[1];
            out.add(new Obu((h >> 3) & 0x0F, b, pos, headerLength, payload, (int) leb[0]));
            pos = payload + (int) leb[0];
        }
        return out;
    }

    /** The temporal units of a low overhead bitstream that starts every one with a temporal delimiter (type 2). */
    public static List<List<Obu>> temporalUnits(byte[] obuFile) {
        List<List<Obu>> units = new ArrayList<>();
        for (Obu o : obus(obuFile)) {
            if (o.type() == 2 || units.isEmpty()) {
                units.add(new ArrayList<>());
            }
            units.get(units.size() - 1).add(o);
        }
        return units;
    }

    /** RTP payloads (aggregation header + OBU elements) of one temporal unit. */
    public List<byte[]> packetize(List<Obu> temporalUnit) {
        List<byte[]> elements = new ArrayList<>();
        boolean sequenceHeader = false;
        for (Obu o : temporalUnit) {
            if (o.type() == 2 || o.type() == 8) {
                continue; // RTP 5: temporal delimiters and tile lists SHOULD be removed
            }
            sequenceHeader |= o.type() == 1;
            elements.add(o.element(keepSizeFields));
        }
        // pieces of the current packet: element bytes [from, to), whether it continues a previous fragment
        List<byte[]> packets = new ArrayList<>();
        List<byte[]> pieces = new ArrayList<>();
        boolean firstContinues = false;
        int used = 1; // aggregation header
        for (byte[] e : elements) {
            int off = 0;
            while (off < e.length) {
                int room = mtu - used - 2; // 2: a leb128 length field for a piece of < 16384 bytes
                if (room < 1) {
                    // full after whole elements (a fragment would have closed the packet already): Y=0
                    packets.add(serialize(pieces, firstContinues, false, packets.isEmpty() && sequenceHeader));
                    pieces.clear();
                    used = 1;
                    continue;
                }
                int n = Math.min(room, e.length - off);
                if (pieces.isEmpty()) {
                    firstContinues = off > 0;
                }
                pieces.add(Arrays.copyOfRange(e, off, off + n));
                used += n + 2;
                off += n;
                if (off < e.length) {
                    // the rest goes to the next packet: this one ends with a fragment (Y=1)
                    packets.add(serialize(pieces, firstContinues, true, packets.isEmpty() && sequenceHeader));
                    pieces.clear();
                    used = 1;
                    firstContinues = true;
                }
            }
        }
        if (!pieces.isEmpty()) {
            packets.add(serialize(pieces, firstContinues, false, packets.isEmpty() && sequenceHeader));
        }
        return packets;
    }

    private byte[] serialize(List<byte[]> pieces, boolean z, boolean y, boolean n) {
        int w = !alwaysW0 && pieces.size() <= 3 ? pieces.size() : 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // RTP 4.4: |Z|Y| W |N|-|-|-|
        out.write((z ? 0x80 : 0) | (y ? 0x40 : 0) | (w << 4) | (n ? 0x08 : 0));
        for (int i = 0; i < pieces.size(); i++) {
            byte[] p = pieces.get(i);
            if (w == 0 || i < w - 1) {
                writeLeb128(out, p.length);
            }
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    /** A whole RTP packet (V=2, PT 96) around a payload. */
    public static RtpPacket rtp(int seq, long timestamp, boolean marker, byte[] payload) {
        byte[] b = new byte[12 + payload.length];
        b[0] = (byte) 0x80;
        b[1] = (byte) ((marker ? 0x80 : 0) | 96);
        b[2] = (byte) (seq >>> 8);
        b[3] = (byte) seq;
        for (int i = 0; i < 4; i++) {
            b[4 + i] = (byte) (timestamp >>> (24 - 8 * i));
            b[8 + i] = (byte) (0xA1A1A1A1L >>> (24 - 8 * i));
        }
        System.arraycopy(payload, 0, b, 12, payload.length);
        RtpPacket p = new RtpPacket();
        if (p.wrap(b, 0, b.length) != null) {
            throw new AssertionError("not valid RTP");
        }
        return p;
    }

    static void writeLeb128(ByteArrayOutputStream out, int value) {
        int v = value;
        do {
            int low = v & 0x7F;
            v >>>= 7;
            out.write(v != 0 ? low | 0x80 : low);
        } while (v != 0);
    }

    /** {value, length in bytes}. */
    static long[] readLeb128(byte[] b, int pos) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            int x = b[pos + i] & 0xFF;
            v |= (long) (x & 0x7F) << (7 * i);
            if ((x & 0x80) == 0) {
                return new long[] {v, i + 1};
            }
        }
        throw new IllegalArgumentException("leb128 longer than 8 bytes");
    }
}
