package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

/**
 * VP9 over RTP, RFC 9628. Every packet starts with the VP9 payload descriptor (section 4.2), which is stripped.
 *
 * <pre>
 *        0 1 2 3 4 5 6 7
 *       +-+-+-+-+-+-+-+-+
 *       |I|P|L|F|B|E|V|Z| (REQUIRED)
 *       +-+-+-+-+-+-+-+-+
 *  I:   |M| PICTURE ID  | (REQUIRED when F = 1)
 *       +-+-+-+-+-+-+-+-+
 *  M:   | EXTENDED PID  | (M = 1: 15-bit picture ID)
 *       +-+-+-+-+-+-+-+-+
 *  L:   | TID |U| SID |D| (OPTIONAL)
 *       +-+-+-+-+-+-+-+-+
 *       |   TL0PICIDX   | (L = 1 and F = 0: non-flexible mode)
 *       +-+-+-+-+-+-+-+-+                             -\
 *  P,F: | P_DIFF      |N| (F = 1 and P = 1, up to 3 times) - N = 1: another P_DIFF follows
 *       +-+-+-+-+-+-+-+-+                             -/
 *  V:   | SS            | scalability structure (section 4.2.1)
 *       +-+-+-+-+-+-+-+-+
 * </pre>
 *
 * A picture is one or more layer frames (one per spatial layer) with the same timestamp. Each layer frame begins
 * with a packet with B = 1 and ends with a packet with E = 1; the last packet of the picture has the marker bit
 * (section 4.1). A frame (picture) starts with B = 1 on a layer frame that does not depend on a missing lower
 * spatial layer. A picture with several layer frames is written as a superframe (VP9 bitstream specification,
 * Annex B), which is what file formats (WebM, MP4 vp09, IVF) expect; a single-frame picture is written as is.
 *
 * <p>The keyframe flag comes from the uncompressed header of the first frame (VP9 bitstream specification 6.2:
 * {@code frame_type == KEY_FRAME} and {@code show_existing_frame == 0}), or from the descriptor's P bit when the
 * header cannot be read. The resolution comes from the scalability structure (highest spatial layer) when one is
 * sent, else from a keyframe's uncompressed header ({@code frame_width_minus_1}, {@code frame_height_minus_1}).
 */
public final class Vp9Depacketizer extends AbstractDepacketizer {

    /** The parsed payload descriptor of one packet; reused, never allocated. */
    static final class Descriptor {
        int length;             // descriptor bytes (the VP9 payload follows)
        boolean i;              // picture ID present
        boolean p;              // inter-picture predicted layer frame
        boolean l;              // layer indices present
        boolean f;              // flexible mode
        boolean b;              // start of a layer frame
        boolean e;              // end of a layer frame
        boolean v;              // scalability structure present
        boolean z;              // not used for inter-layer prediction
        int pictureId = -1;
        boolean pictureId15;
        int tid;                // temporal layer ID (3 bits)
        boolean u;              // switching up point
        int sid;                // spatial layer ID (3 bits)
        boolean d;              // inter-layer dependency
        int tl0PicIdx = -1;     // non-flexible mode only
        int refCount;           // flexible mode: number of P_DIFF reference indices (0..3)
        final int[] pDiff = new int[3];
        // scalability structure (section 4.2.1)
        int ssLayers;           // N_S + 1 spatial layers, 0 when no SS
        boolean ssHasSizes;     // Y
        final int[] ssWidth = new int[8];
        final int[] ssHeight = new int[8];
        int ssGroupSize = -1;   // N_G when G = 1, else -1

        /** @return false when the descriptor is malformed, truncated, or leaves no VP9 payload */
        boolean parse(byte[] buf, int off, int len) {
            refCount = 0;
            pictureId = -1;
            pictureId15 = false;
            tid = 0;
            u = false;
            sid = 0;
            d = false;
            tl0PicIdx = -1;
            ssLayers = 0;
            ssHasSizes = false;
            ssGroupSize = -1;
            if (len < 1) {
                return false;
            }
            int b0 = buf[off] & 0xFF;
            i = (b0 & 0x80) != 0;
            p = (b0 & 0x40) != 0;
            l = (b0 & 0x20) != 0;
            f = (b0 & 0x10) != 0;
            b = (b0 & 0x08) != 0;
            e = (b0 & 0x04) != 0;
            v = (b0 & 0x02) != 0;
            z = (b0 & 0x01) != 0;
            if (f && !i) {
                return false; // 4.2: in flexible mode the picture ID MUST be present
            }
            int k = 1;
            if (i) {
                if (k >= len) {
                    return false;
                }
                int p0 = buf[off + k++] & 0xFF;
                if ((p0 & 0x80) != 0) { // M: 15-bit picture ID
                    if (k >= len) {
                        return false;
                    }
                    pictureId = ((p0 & 0x7F) << 8) | (buf[off + k++] & 0xFF);
                    pictureId15 = true;
                } else {
                    pictureId = p0 & 0x7F;
                }
            }
            if (l) {
                if (k >= len) {
                    return false;
                }
                int li = buf[off + k++] & 0xFF; // TID(3) U(1) SID(3) D(1)
                tid = li >>> 5;
                u = (li & 0x10) != 0;
                sid = (li >>> 1) & 0x07;
                d = (li & 0x01) != 0;
                if (!f) {
                    if (k >= len) {
                        return false;
                    }
                    tl0PicIdx = buf[off + k++] & 0xFF; // TL0PICIDX, non-flexible mode
                }
            }
            if (f && p) {
                // flexible mode reference indices: P_DIFF(7) N(1), at most 3 (4.2)
                boolean more = true;
                while (more) {
                    if (k >= len || refCount == 3) {
                        return false;
                    }
                    int r = buf[off + k++] & 0xFF;
                    pDiff[refCount++] = r >>> 1;
                    more = (r & 0x01) != 0;
                }
            }
            if (v) {
                k = parseSs(buf, off, len, k);
                if (k < 0) {
                    return false;
                }
            }
            length = k;
            return k < len; // the VP9 payload must not be empty
        }

        /**
         * Scalability structure, RFC 9628 4.2.1:
         * <pre>
         *  V:  | N_S |Y|G|-|-|-|
         *  Y:  | WIDTH (16) | HEIGHT (16) |  N_S + 1 times
         *  G:  | N_G |
         *      | TID |U| R |-|-| P_DIFF (8) x R |  N_G times
         * </pre>
         */
        private int parseSs(byte[] buf, int off, int len, int k) {
            if (k >= len) {
                return -1;
            }
            int h = buf[off + k++] & 0xFF;
            ssLayers = (h >>> 5) + 1;          // N_S: number of spatial layers minus one
            ssHasSizes = (h & 0x10) != 0;      // Y: spatial layer frame resolutions present
            boolean g = (h & 0x08) != 0;       // G: picture group description present
            if (ssHasSizes) {
                if (k + 4 * ssLayers > len) {
                    return -1;
                }
                for (int s = 0; s < ssLayers; s++) {
                    ssWidth[s] = ((buf[off + k] & 0xFF) << 8) | (buf[off + k + 1] & 0xFF);
                    ssHeight[s] = ((buf[off + k + 2] & 0xFF) << 8) | (buf[off + k + 3] & 0xFF);
                    k += 4;
                }
            }
            if (g) {
                if (k >= len) {
                    return -1;
                }
                ssGroupSize = buf[off + k++] & 0xFF; // N_G
                for (int n = 0; n < ssGroupSize; n++) {
                    if (k >= len) {
                        return -1;
                    }
                    int r = ((buf[off + k++] & 0xFF) >>> 2) & 0x03; // TID(3) U(1) R(2) reserved(2)
                    k += r; // R P_DIFF octets
                    if (k > len) {
                        return -1;
                    }
                }
            }
            return k;
        }
    }

    private static final int MAX_FRAMES = 8; // a superframe holds at most 8 frames (Annex B)

    private final Descriptor descriptor = new Descriptor();
    private final BitReader bits = new BitReader();
    // per-picture state
    private final int[] layerStart = new int[MAX_FRAMES];
    private int layerCount;
    private boolean layerOpen;
    private boolean firstP;
    private int firstSid;
    private int ssWidth;
    private int ssHeight;
    private final int[] subSizes = new int[MAX_FRAMES];
    // result of the last uncompressed header parse
    private int hdrWidth;
    private int hdrHeight;

    public Vp9Depacketizer() {
        super(TrackFormat.video(Codec.VP9, 0, 0, null));
    }

    @Override
    public Codec codec() {
        return Codec.VP9;
    }

    @Override
    public boolean isFrameStart(RtpPacket packet) {
        Descriptor d = descriptor;
        // B = 1, and not an upper spatial layer that predicts from a lower one we do not have (D = 1)
        return d.parse(packet.buffer(), packet.payloadOffset(), packet.payloadLength()) && d.b
                && (!d.l || d.sid == 0 || !d.d);
    }

    @Override
    public boolean isFrameEnd(RtpPacket packet) {
        return packet.marker(); // 4.1: the marker bit ends the picture
    }

    @Override
    public boolean append(RtpPacket packet, FrameBuilder frame) {
        Descriptor d = descriptor;
        int off = packet.payloadOffset();
        int len = packet.payloadLength();
        if (!d.parse(packet.buffer(), off, len)) {
            return false;
        }
        if (freshFrame(frame)) {
            layerCount = 0;
            layerOpen = false;
            ssWidth = 0;
            ssHeight = 0;
        }
        if (d.b) {
            if (layerOpen || layerCount == MAX_FRAMES) {
                return false; // previous layer frame never ended (E), or more than 8 layer frames
            }
            if (layerCount == 0) {
                firstP = d.p;
                firstSid = d.l ? d.sid : 0;
            }
            layerStart[layerCount++] = frame.length();
            layerOpen = true;
        } else if (!layerOpen) {
            return false; // continuation of a layer frame whose beginning we do not have
        }
        if (d.ssLayers > 0 && d.ssHasSizes) {
            ssWidth = d.ssWidth[d.ssLayers - 1];   // the highest spatial layer is what is displayed
            ssHeight = d.ssHeight[d.ssLayers - 1];
        }
        if (!frame.write(packet.buffer(), off + d.length, len - d.length)) {
            return false;
        }
        if (d.e) {
            layerOpen = false;
        }
        appended(frame);
        return true;
    }

    @Override
    public boolean finish(FrameBuilder frame) {
        forgetFrame();
        if (layerCount == 0 || layerOpen) {
            return false; // nothing, or the picture ended inside a layer frame (no E bit)
        }
        if (layerCount > 1 && !buildSuperframe(frame)) {
            return false;
        }
        int header = parseUncompressedHeader(frame.array(), 0, frame.length());
        boolean key = header >= 0 ? header == 1 : !firstP && firstSid == 0;
        frame.keyframe(key);
        int w = 0;
        int h = 0;
        if (ssWidth > 0 && ssHeight > 0) {
            w = ssWidth;
            h = ssHeight;
        } else if (header == 1) {
            w = hdrWidth;
            h = hdrHeight;
        }
        TrackFormat f = format();
        if (w > 0 && h > 0 && (f.width() != w || f.height() != h)) {
            updateFormat(f.withResolution(w, h));
        }
        return true;
    }

    /**
     * Rewrites the layer frames of the builder as one superframe (VP9 bitstream specification Annex B): the frames
     * concatenated, then the index {@code marker, frame sizes (little-endian, bytes_per_framesize each), marker}
     * with {@code marker = 0b110 | bytes_per_framesize_minus_1 (2) | frames_in_superframe_minus_1 (3)}. A layer
     * frame that already is a superframe contributes its frames (its own index is removed).
     */
    private boolean buildSuperframe(FrameBuilder frame) {
        byte[] b = frame.array();
        int end = frame.length();
        int n = 0;
        int w = 0;
        for (int i = 0; i < layerCount; i++) {
            int s = layerStart[i];
            int e = i + 1 < layerCount ? layerStart[i + 1] : end;
            int dataLen = e - s;
            int idx = superframeIndexSize(b, s, e - s);
            if (idx > 0) {
                int last = b[e - 1] & 0xFF;
                int frames = (last & 0x07) + 1;
                int mag = ((last >>> 3) & 0x03) + 1;
                if (n + frames > MAX_FRAMES) {
                    return false;
                }
                int p = e - idx + 1;
                int sum = 0;
                for (int k = 0; k < frames; k++) {
                    int size = 0;
                    for (int m = 0; m < mag; m++) {
                        size |= (b[p++] & 0xFF) << (8 * m);
                    }
                    if (size <= 0) {
                        return false;
                    }
                    subSizes[n++] = size;
                    sum += size;
                }
                dataLen = e - s - idx;
                if (sum != dataLen) {
                    return false;
                }
            } else {
                if (n == MAX_FRAMES) {
                    return false;
                }
                subSizes[n++] = dataLen;
            }
            if (w != s) {
                System.arraycopy(b, s, b, w, dataLen);
            }
            w += dataLen;
        }
        frame.truncate(w);
        int max = 0;
        for (int k = 0; k < n; k++) {
            max = Math.max(max, subSizes[k]);
        }
        int mag = max < (1 << 8) ? 1 : max < (1 << 16) ? 2 : max < (1 << 24) ? 3 : 4;
        int marker = 0xC0 | ((mag - 1) << 3) | (n - 1);
        if (!frame.writeByte(marker)) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            for (int m = 0; m < mag; m++) {
                if (!frame.writeByte(subSizes[k] >>> (8 * m))) {
                    return false;
                }
            }
        }
        return frame.writeByte(marker);
    }

    /** Annex B: the size of the superframe index ending {@code b[off .. off+len)}, or 0 when there is none. */
    static int superframeIndexSize(byte[] b, int off, int len) {
        if (len < 1) {
            return 0;
        }
        int last = b[off + len - 1] & 0xFF;
        if ((last & 0xE0) != 0xC0) {
            return 0;
        }
        int frames = (last & 0x07) + 1;
        int mag = ((last >>> 3) & 0x03) + 1;
        int size = 2 + mag * frames;
        if (len < size || (b[off + len - size] & 0xFF) != last) {
            return 0;
        }
        return size;
    }

    /**
     * Reads the start of a VP9 uncompressed header (bitstream specification 6.2):
     * <pre>
     * frame_marker f(2) = 2 | profile_low_bit f(1) | profile_high_bit f(1) | [reserved_zero f(1) if profile 3]
     * show_existing_frame f(1) | frame_type f(1) | show_frame f(1) | error_resilient_mode f(1)
     * KEY_FRAME: frame_sync_code 0x49 0x83 0x42 | color_config() | frame_width_minus_1 f(16) | frame_height_minus_1 f(16)
     * </pre>
     *
     * @return 1 for a keyframe (then {@link #hdrWidth}/{@link #hdrHeight} are set), 0 for another frame, -1 when
     *         the header is not a valid VP9 header
     */
    int parseUncompressedHeader(byte[] b, int off, int len) {
        BitReader r = bits.reset(b, off, len);
        if (r.bits(2) != 2) {
            return -1; // frame_marker
        }
        int profile = r.bit();
        profile |= r.bit() << 1; // profile_low_bit, profile_high_bit
        if (profile == 3 && r.bit() != 0) {
            return -1; // reserved_zero
        }
        if (r.flag()) {
            return r.overrun() ? -1 : 0; // show_existing_frame: shows an earlier frame, no new picture data
        }
        int frameType = r.bit();
        r.bit(); // show_frame
        r.bit(); // error_resilient_mode
        if (r.overrun()) {
            return -1;
        }
        if (frameType != 0) {
            return 0; // NON_KEY_FRAME
        }
        if (r.bits(8) != 0x49 || r.bits(8) != 0x83 || r.bits(8) != 0x42) {
            return -1; // frame_sync_code
        }
        // color_config() (6.2.2)
        if (profile >= 2) {
            r.bit(); // ten_or_twelve_bit
        }
        int colorSpace = r.bits(3);
        if (colorSpace != 7) { // not CS_RGB
            r.bit(); // color_range
            if (profile == 1 || profile == 3) {
                r.bits(3); // subsampling_x, subsampling_y, reserved_zero
            }
        } else if (profile == 1 || profile == 3) {
            r.bit(); // reserved_zero
        }
        // frame_size() (6.2.3)
        int w = r.bits(16) + 1;
        int h = r.bits(16) + 1;
        if (r.overrun()) {
            return -1;
        }
        hdrWidth = w;
        hdrHeight = h;
        return 1;
    }

    @Override
    public void reset() {
        super.reset();
        layerCount = 0;
        layerOpen = false;
    }
}
