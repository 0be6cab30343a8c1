package io.capstan.mux.common;

import io.capstan.media.TrackFormat;

import java.nio.charset.StandardCharsets;

/**
 * Opus packet arithmetic: packet duration from the TOC byte (RFC 6716 section 3.1, 3.2) and the identification
 * header OpusHead (RFC 7845 section 5.1). All durations are in 48 kHz samples, the rate Opus timestamps and Ogg
 * granule positions always use (RFC 7845 section 4).
 */
public final class OpusPackets {

    /** RFC 7845 section 5.1: pre-skip when the source does not say (libopus' usual encoder lookahead). */
    public static final int DEFAULT_PRE_SKIP = 312;
    /** RFC 7845 section 5.1 / RFC 6716 section 3.4 [R5]: a packet holds at most 120 ms. */
    public static final int MAX_PACKET_SAMPLES = 5760;
    /** Matroska Opus mapping: SeekPreRoll of 80 ms (in nanoseconds). */
    public static final long SEEK_PRE_ROLL_NS = 80_000_000L;

    private static final byte[] MAGIC = "OpusHead".getBytes(StandardCharsets.US_ASCII);

    private OpusPackets() {
    }

    /**
     * Samples per frame (48 kHz) for a TOC configuration number, RFC 6716 section 3.1 table 2:
     * configs 0-11 SILK-only (10/20/40/60 ms), 12-15 hybrid (10/20 ms), 16-31 CELT-only (2.5/5/10/20 ms).
     */
    public static int frameSamples(int config) {
        if (config < 12) {
            return switch (config & 3) {
                case 0 -> 480;
                case 1 -> 960;
                case 2 -> 1920;
                default -> 2880;
            };
        }
        if (config < 16) {
            return (config & 1) == 0 ? 480 : 960;
        }
        return 120 << (config & 3);
    }

    /**
     * Duration of a packet in 48 kHz samples, or -1 when the packet is malformed (empty, code 3 without its frame
     * count byte, zero frames, or more than 120 ms), RFC 6716 section 3.2 and requirement [R5].
     */
    public static int packetSamples(byte[] p, int off, int len) {
        if (len < 1) {
            return -1;
        }
        int toc = p[off] & 0xFF;
        int frames = switch (toc & 3) {
            case 0 -> 1;       // code 0: one frame
            case 1, 2 -> 2;    // code 1: two equal frames; code 2: two frames of different sizes
            default -> len < 2 ? -1 : p[off + 1] & 0x3F; // code 3: frame count M in the low 6 bits of byte 1
        };
        if (frames <= 0) {
            return -1;
        }
        int total = frames * frameSamples(toc >>> 3);
        return total > MAX_PACKET_SAMPLES ? -1 : total;
    }

    /** True when {@code head} is a 19-byte OpusHead with channel mapping family 0 (RFC 7845 section 5.1). */
    public static boolean isValidHead(byte[] head) {
        if (head == null || head.length != 19) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (head[i] != MAGIC[i]) {
                return false;
            }
        }
        int version = head[8] & 0xFF;
        int channels = head[9] & 0xFF;
        int family = head[18] & 0xFF;
        return (version & 0xF0) == 0 && version != 0 && channels >= 1 && channels <= 2 && family == 0;
    }

    /**
     * The OpusHead for a track: its codec private data when that is a valid 19-byte OpusHead, else a new one
     * (version 1, channels from the format (1 or 2, default 2), pre-skip 312, input rate 48000, gain 0, mapping
     * family 0).
     */
    public static byte[] headFor(TrackFormat format) {
        byte[] priv = format.codecPrivate();
        if (isValidHead(priv)) {
            return priv;
        }
        int ch = format.channels() == 1 ? 1 : 2;
        return buildHead(ch, DEFAULT_PRE_SKIP, 48000);
    }

    /** RFC 7845 section 5.1, figure 2 (all multi-byte fields little-endian). */
    public static byte[] buildHead(int channels, int preSkip, long inputRate) {
        ByteBuilder b = new ByteBuilder(19);
        b.bytes(MAGIC);          // 'OpusHead'
        b.u8(1);                 // version 1
        b.u8(channels);          // output channel count
        b.u16LE(preSkip);        // pre-skip, 48 kHz samples
        b.u32LE(inputRate);      // original input sample rate (informational)
        b.u16LE(0);              // output gain, Q7.8 dB
        b.u8(0);                 // channel mapping family 0: mono/stereo, no mapping table
        return b.toByteArray();
    }

    public static int preSkip(byte[] head) {
        return (head[10] & 0xFF) | (head[11] & 0xFF) << 8;
    }

    public static int channels(byte[] head) {
        return head[9] & 0xFF;
    }
}
