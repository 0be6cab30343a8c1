package io.capstan.mux.testing;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An independent, test-only Ogg reader (RFC 3533): pages with their CRC checked by a bitwise (not table-driven)
 * CRC-32/0x04c11db7, and packets reassembled from lacing values across pages.
 */
public final class OggReader {

    public record Page(long offset, int flags, long granule, int serial, int sequence, boolean crcOk,
                       int[] lacing, int bodyLength) {
        public boolean bos() {
            return (flags & 2) != 0;
        }

        public boolean eos() {
            return (flags & 4) != 0;
        }

        public boolean continued() {
            return (flags & 1) != 0;
        }
    }

    /** A packet and the page it ends on (pageGranule is that page's granule position). */
    public record Packet(byte[] data, int pageIndex, long pageGranule, boolean lastOnPage) {
    }

    public final List<Page> pages = new ArrayList<>();
    public final List<Packet> packets = new ArrayList<>();

    public static OggReader read(byte[] f) {
        OggReader r = new OggReader();
        int p = 0;
        ByteArrayOutputStream partial = new ByteArrayOutputStream();
        while (p + 27 <= f.length) {
            if (f[p] != 'O' || f[p + 1] != 'g' || f[p + 2] != 'g' || f[p + 3] != 'S') {
                throw new AssertionError("no capture pattern at " + p);
            }
            int flags = f[p + 5] & 0xFF;
            long granule = le(f, p + 6, 8);
            int serial = (int) le(f, p + 14, 4);
            int seq = (int) le(f, p + 18, 4);
            int crc = (int) le(f, p + 22, 4);
            int nseg = f[p + 26] & 0xFF;
            int[] lacing = new int[nseg];
            int bodyLen = 0;
            for (int i = 0; i < nseg; i++) {
                lacing[i] = f[p + 27 + i] & 0xFF;
                bodyLen += lacing[i];
            }
            int total = 27 + nseg + bodyLen;
            if (p + total > f.length) {
                break; // truncated page
            }
            byte[] copy = Arrays.copyOfRange(f, p, p + total);
            copy[22] = copy[23] = copy[24] = copy[25] = 0;
            boolean ok = bitwiseCrc(copy) == crc;
            r.pages.add(new Page(p, flags, granule, serial, seq, ok, lacing, bodyLen));
            int pageIndex = r.pages.size() - 1;
            int d = p + 27 + nseg;
            int lastEnd = -1;
            for (int i = 0; i < nseg; i++) {
                partial.write(f, d, lacing[i]);
                d += lacing[i];
                if (lacing[i] < 255) {
                    r.packets.add(new Packet(partial.toByteArray(), pageIndex, granule, false));
                    partial.reset();
                    lastEnd = r.packets.size() - 1;
                }
            }
            if (lastEnd >= 0) {
                Packet last = r.packets.get(lastEnd);
                r.packets.set(lastEnd, new Packet(last.data(), pageIndex, granule, true));
            }
            p += total;
        }
        return r;
    }

    static int bitwiseCrc(byte[] data) {
        int crc = 0;
        for (byte x : data) {
            crc ^= (x & 0xFF) << 24;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
            }
        }
        return crc;
    }

    private static long le(byte[] f, int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (f[at + i] & 0xFF);
        }
        return v;
    }
}
