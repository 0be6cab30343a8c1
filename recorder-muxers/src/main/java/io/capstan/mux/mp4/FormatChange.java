package io.capstan.mux.mp4;

import io.capstan.mux.common.ByteBuilder;

/**
 * A top-level {@code uuid} box (ISO/IEC 14496-12 4.2 / 11.1, user extension) that the writer puts between
 * fragments when a track's format changed, so that the finalizer (on close or in recovery) can declare it in
 * the final moov. Readers skip unknown uuid boxes.
 * <pre>
 * size(32) 'uuid' usertype(128) = 8f3b1c52-6a0e-4c1d-9a57-c4957a11e0a1
 * version(8) = 0, track_ID(32), in_band_parameter_sets(8) (1: declare avc3/hev1), width(16), height(16)
 * </pre>
 */
final class FormatChange {

    static final byte[] USER_TYPE = {(byte) 0x8f, 0x3b, 0x1c, 0x52, 0x6a, 0x0e, 0x4c, 0x1d, (byte) 0x9a, 0x57,
            (byte) 0xc4, (byte) 0x95, 0x7a, 0x11, (byte) 0xe0, (byte) 0xa1};
    static final int SIZE = 8 + 16 + 1 + 4 + 1 + 2 + 2;

    private FormatChange() {
    }

    static byte[] box(int trackId, boolean inBand, int width, int height) {
        ByteBuilder b = new ByteBuilder(SIZE);
        int at = Boxes.begin(b, Boxes.UUID);
        b.bytes(USER_TYPE);
        b.u8(0).uBE(trackId, 4).u8(inBand ? 1 : 0).u16(Math.min(0xFFFF, width)).u16(Math.min(0xFFFF, height));
        Boxes.end(b, at);
        return b.toByteArray();
    }

    /** Parses a box read from {@code b[off ..]} of {@code size} bytes; null when it is not ours. */
    static Parsed parse(byte[] b, int off, int size) {
        if (size != SIZE) {
            return null;
        }
        for (int i = 0; i < 16; i++) {
            if (b[off + 8 + i] != USER_TYPE[i]) {
                return null;
            }
        }
        int p = off + 24;
        if (b[p] != 0) {
            return null;
        }
        return new Parsed(Boxes.u32(b, p + 1), b[p + 5] == 1, (b[p + 6] & 0xFF) << 8 | (b[p + 7] & 0xFF),
                (b[p + 8] & 0xFF) << 8 | (b[p + 9] & 0xFF));
    }

    record Parsed(int trackId, boolean inBand, int width, int height) {
    }
}
