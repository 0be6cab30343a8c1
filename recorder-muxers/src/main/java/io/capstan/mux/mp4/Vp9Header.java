package io.capstan.mux.mp4;

/**
 * What a {@code vpcC} needs from a VP9 keyframe's uncompressed header (or a VP8 keyframe's, {@link #parseVp8}) (VP9 bitstream specification 6.2
 * uncompressed_header, 6.2.2 color_config, 6.2.3 frame_size), mapped to the VP codec binding's fields.
 */
record Vp9Header(int profile, int bitDepth, int chromaSubsampling, boolean fullRange, int colourPrimaries,
                 int transferCharacteristics, int matrixCoefficients, int width, int height) {

    /** Profile 0, 8 bit, 4:2:0, limited range, unspecified colour (ISO/IEC 23001-8 value 2). */
    static final Vp9Header DEFAULT = new Vp9Header(0, 8, 0, false, 2, 2, 2, 0, 0);

    /**
     * What a VP8 keyframe gives the same box (RFC 6386 9.1, 19.1): the 3-byte frame tag (key_frame bit 0 = 0,
     * version in bits 1..3 becomes the vpcC profile), the start code 9d 01 2a and the 14-bit width and height. VP8
     * is always 8-bit 4:2:0; its colour space bit is only in the compressed header, so colour stays unspecified.
     */
    static Vp9Header parseVp8(byte[] b, int off, int len) {
        if (len < 10 || (b[off] & 1) != 0 || (b[off + 3] & 0xFF) != 0x9d || (b[off + 4] & 0xFF) != 0x01
                || (b[off + 5] & 0xFF) != 0x2a) {
            return null;
        }
        int version = (b[off] >> 1) & 7;
        int w = ((b[off + 6] & 0xFF) | (b[off + 7] & 0xFF) << 8) & 0x3FFF;
        int h = ((b[off + 8] & 0xFF) | (b[off + 9] & 0xFF) << 8) & 0x3FFF;
        return new Vp9Header(Math.min(version, 3), 8, 0, false, 2, 2, 2, w, h);
    }

    /** Parses a keyframe header, or returns null when the frame is not a keyframe or too short. */
    static Vp9Header parse(byte[] b, int off, int len) {
        Bits r = new Bits(b, off, len);
        if (len < 10 || r.u(2) != 2) {                 // frame_marker
            return null;
        }
        int low = r.u(1);
        int high = r.u(1);
        int profile = (high << 1) | low;               // profile = (profile_high_bit << 1) + profile_low_bit
        if (profile == 3) {
            r.u(1);                                    // reserved_zero
        }
        if (r.u(1) == 1) {                             // show_existing_frame
            return null;
        }
        if (r.u(1) != 0) {                             // frame_type: 0 = KEY_FRAME
            return null;
        }
        r.u(1);                                        // show_frame
        r.u(1);                                        // error_resilient_mode
        if (r.u(24) != 0x498342) {                     // frame_sync_code
            return null;
        }
        int bitDepth = 8;
        if (profile >= 2) {
            bitDepth = r.u(1) == 1 ? 12 : 10;          // ten_or_twelve_bit
        }
        int colorSpace = r.u(3);
        boolean fullRange;
        int ssx = 1;
        int ssy = 1;
        if (colorSpace != 7) {                         // CS_RGB = 7
            fullRange = r.u(1) == 1;                   // color_range
            if (profile == 1 || profile == 3) {
                ssx = r.u(1);
                ssy = r.u(1);
                r.u(1);                                // reserved_zero
            }
        } else {
            fullRange = true;
            if (profile == 1 || profile == 3) {
                ssx = 0;
                ssy = 0;
                r.u(1);
            }
        }
        int w = r.u(16) + 1;                           // frame_width_minus_1
        int h = r.u(16) + 1;                           // frame_height_minus_1
        if (r.overrun) {
            return null;
        }
        // vpcC chromaSubsampling: 0 = 4:2:0 (chroma between luma rows, "vertical"), 2 = 4:2:2, 3 = 4:4:4
        int chroma = ssx == 1 && ssy == 1 ? 0 : ssx == 1 ? 2 : 3;
        // VP9 color_space (6.2.2) -> ISO/IEC 23001-8 colour primaries, transfer, matrix
        int[] cicp = switch (colorSpace) {
            case 1, 3 -> new int[] {6, 6, 6};          // CS_BT_601, CS_SMPTE_170
            case 2 -> new int[] {1, 1, 1};             // CS_BT_709
            case 4 -> new int[] {7, 7, 7};             // CS_SMPTE_240
            case 5 -> new int[] {9, bitDepth == 12 ? 15 : 14, 9}; // CS_BT_2020
            case 7 -> new int[] {2, 2, 0};             // CS_RGB: identity matrix
            default -> new int[] {2, 2, 2};            // unknown / reserved: unspecified
        };
        return new Vp9Header(profile, bitDepth, chroma, fullRange, cicp[0], cicp[1], cicp[2], w, h);
    }

    /** The smallest VP9 level (VP9 levels table, by luma picture size) that holds the picture; 31 when unknown. */
    static int level(int width, int height) {
        long size = (long) width * height;
        if (size <= 0) {
            return 31;
        }
        long[][] levels = {{36864, 10}, {73728, 11}, {122880, 20}, {245760, 21}, {552960, 30}, {983040, 31},
                {2228224, 40}, {8912896, 50}, {35651584, 60}};
        for (long[] l : levels) {
            if (size <= l[0]) {
                return (int) l[1];
            }
        }
        return 62;
    }

    private static final class Bits {
        final byte[] b;
        final int end;
        long bit;
        boolean overrun;

        Bits(byte[] b, int off, int len) {
            this.b = b;
            this.bit = (long) off * 8;
            this.end = off + len;
        }

        int u(int n) {
            int v = 0;
            for (int i = 0; i < n; i++) {
                int byteAt = (int) (bit >>> 3);
                if (byteAt >= end) {
                    overrun = true;
                    return 0;
                }
                v = v << 1 | ((b[byteAt] >> (7 - (int) (bit & 7))) & 1);
                bit++;
            }
            return v;
        }
    }
}
