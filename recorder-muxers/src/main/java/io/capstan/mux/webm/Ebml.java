package io.capstan.mux.webm;

import io.capstan.mux.common.ByteBuilder;

import java.nio.charset.StandardCharsets;

/**
 * EBML element ids used by the writer (Matroska spec, RFC 9559 section 5.1; EBML header RFC 8794 section 11.2)
 * and the encoding primitives: element ids are written with their marker bits as they are, sizes as VINTs
 * (RFC 8794 section 4), unsigned integers big-endian in the fewest bytes, floats as 8-byte IEEE 754.
 */
final class Ebml {

    // EBML header, RFC 8794 section 11.2
    static final int EBML = 0x1A45DFA3;
    static final int EBML_VERSION = 0x4286;
    static final int EBML_READ_VERSION = 0x42F7;
    static final int EBML_MAX_ID_LENGTH = 0x42F2;
    static final int EBML_MAX_SIZE_LENGTH = 0x42F3;
    static final int DOC_TYPE = 0x4282;
    static final int DOC_TYPE_VERSION = 0x4287;
    static final int DOC_TYPE_READ_VERSION = 0x4285;
    static final int VOID = 0xEC;

    // Matroska, RFC 9559 section 5.1
    static final int SEGMENT = 0x18538067;
    static final int SEEK_HEAD = 0x114D9B74;
    static final int SEEK = 0x4DBB;
    static final int SEEK_ID = 0x53AB;
    static final int SEEK_POSITION = 0x53AC;
    static final int INFO = 0x1549A966;
    static final int TIMESTAMP_SCALE = 0x2AD7B1;
    static final int DURATION = 0x4489;
    static final int MUXING_APP = 0x4D80;
    static final int WRITING_APP = 0x5741;
    static final int TRACKS = 0x1654AE6B;
    static final int TRACK_ENTRY = 0xAE;
    static final int TRACK_NUMBER = 0xD7;
    static final int TRACK_UID = 0x73C5;
    static final int TRACK_TYPE = 0x83;
    static final int FLAG_ENABLED = 0xB9;
    static final int FLAG_DEFAULT = 0x88;
    static final int FLAG_LACING = 0x9C;
    static final int CODEC_ID = 0x86;
    static final int CODEC_PRIVATE = 0x63A2;
    static final int CODEC_DELAY = 0x56AA;
    static final int SEEK_PRE_ROLL = 0x56BB;
    static final int VIDEO = 0xE0;
    static final int PIXEL_WIDTH = 0xB0;
    static final int PIXEL_HEIGHT = 0xBA;
    static final int AUDIO = 0xE1;
    static final int SAMPLING_FREQUENCY = 0xB5;
    static final int CHANNELS = 0x9F;
    static final int BIT_DEPTH = 0x6264;
    static final int CLUSTER = 0x1F43B675;
    static final int TIMESTAMP = 0xE7;
    static final int SIMPLE_BLOCK = 0xA3;
    static final int CUES = 0x1C53BB6B;
    static final int CUE_POINT = 0xBB;
    static final int CUE_TIME = 0xB3;
    static final int CUE_TRACK_POSITIONS = 0xB7;
    static final int CUE_TRACK = 0xF7;
    static final int CUE_CLUSTER_POSITION = 0xF1;

    /** RFC 8794 section 6.2: an 8-byte VINT with all value bits set means "unknown size". */
    static final long UNKNOWN_SIZE_8 = 0x01FF_FFFF_FFFF_FFFFL;

    private Ebml() {
    }

    static int idLength(int id) {
        if ((id & 0xFF00_0000) != 0) {
            return 4;
        }
        if ((id & 0xFF_0000) != 0) {
            return 3;
        }
        return (id & 0xFF00) != 0 ? 2 : 1;
    }

    static void id(ByteBuilder b, int id) {
        b.uBE(id, idLength(id));
    }

    /** Octets of the shortest VINT for {@code size} (the all-ones value of each length is reserved). */
    static int sizeLength(long size) {
        int n = 1;
        while (n < 8 && size >= (1L << (7 * n)) - 1) {
            n++;
        }
        return n;
    }

    static void size(ByteBuilder b, long size) {
        int n = sizeLength(size);
        b.uBE(size | (1L << (7 * n)), n);
    }

    /** An 8-octet VINT: marker 0x01, then 56 value bits; the fixed width lets a size be patched in place. */
    static long size8(long size) {
        return size | (1L << 56);
    }

    static int uintLength(long v) {
        int n = 1;
        while (n < 8 && (v >>> (8 * n)) != 0) {
            n++;
        }
        return n;
    }

    static void uint(ByteBuilder b, int id, long v) {
        int n = uintLength(v);
        id(b, id);
        size(b, n);
        b.uBE(v, n);
    }

    static void uintFixed(ByteBuilder b, int id, long v, int n) {
        id(b, id);
        size(b, n);
        b.uBE(v, n);
    }

    static void float64(ByteBuilder b, int id, double v) {
        id(b, id);
        size(b, 8);
        b.uBE(Double.doubleToLongBits(v), 8);
    }

    static void string(ByteBuilder b, int id, String s) {
        binary(b, id, s.getBytes(StandardCharsets.UTF_8));
    }

    static void binary(ByteBuilder b, int id, byte[] v) {
        id(b, id);
        size(b, v.length);
        b.bytes(v);
    }

    static void master(ByteBuilder b, int id, ByteBuilder children) {
        id(b, id);
        size(b, children.length());
        b.bytes(children.array(), 0, children.length());
    }

    /** A Void element of exactly {@code total} octets (at least 2): id, size, zeros. */
    static void voidElement(ByteBuilder b, int total) {
        if (total < 2) {
            throw new IllegalArgumentException("a Void element takes at least 2 octets: " + total);
        }
        int payload = total - 2;
        if (payload < 127) {
            b.u8(VOID).u8(0x80 | payload);
        } else {
            payload = total - 9;
            b.u8(VOID).uBE(size8(payload), 8);
        }
        b.ensure(payload);
        for (int i = 0; i < payload; i++) {
            b.u8(0);
        }
    }
}
