package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

/**
 * VP8 over RTP, RFC 7741. Every packet starts with the VP8 payload descriptor (section 4.2), which is stripped;
 * the frame is the concatenation of the remaining VP8 payloads of all packets with the frame's timestamp.
 *
 * <pre>
 *        0 1 2 3 4 5 6 7
 *       +-+-+-+-+-+-+-+-+
 *       |X|R|N|S|R| PID | (REQUIRED)
 *       +-+-+-+-+-+-+-+-+
 *  X:   |I|L|T|K| RSV   | (OPTIONAL)
 *       +-+-+-+-+-+-+-+-+
 *  I:   |M| PictureID   | (OPTIONAL)
 *       +-+-+-+-+-+-+-+-+
 *       |   PictureID   | (M = 1: 15-bit picture ID)
 *       +-+-+-+-+-+-+-+-+
 *  L:   |   TL0PICIDX   | (OPTIONAL)
 *       +-+-+-+-+-+-+-+-+
 *  T/K: |TID|Y| KEYIDX  | (OPTIONAL, present when T or K is set)
 *       +-+-+-+-+-+-+-+-+
 * </pre>
 *
 * A frame starts with S = 1 and PID = 0 (section 4.4) and ends at the marker bit (section 4.1). The first three
 * bytes of the frame are the VP8 payload header (section 4.3, the frame tag of RFC 6386 section 9.1): its P bit
 * (bit 0 of the first byte, "inverse key frame flag") is 0 on keyframes, which then carry the start code
 * {@code 9d 01 2a} and the 14-bit width and height (RFC 6386 section 9.1).
 */
public final class Vp8Depacketizer extends AbstractDepacketizer {

    /** The parsed payload descriptor of the last packet handed to {@link #parse}; reused, never allocated. */
    static final class Descriptor {
        /** Length of the descriptor in bytes (the VP8 payload follows). */
        int length;
        boolean nonReference;   // N
        boolean start;          // S
        int partitionIndex;     // PID (3 bits)
        int pictureId = -1;     // I: 7- or 15-bit picture ID, -1 when absent
        boolean pictureId15;    // M
        int tl0PicIdx = -1;     // L
        int tid = -1;           // T: temporal layer index (2 bits)
        boolean layerSync;      // Y
        int keyIdx = -1;        // K: KEYIDX (5 bits)

        /**
         * Parses the descriptor at the start of {@code p}'s payload.
         *
         * @return false when it is truncated or leaves no VP8 payload
         */
        boolean parse(byte[] b, int off, int len) {
            pictureId = -1;
            pictureId15 = false;
            tl0PicIdx = -1;
            tid = -1;
            layerSync = false;
            keyIdx = -1;
            if (len < 1) {
                return false;
            }
            int b0 = b[off] & 0xFF;
            boolean x = (b0 & 0x80) != 0;            // X: extended control bits present
            nonReference = (b0 & 0x20) != 0;         // N: non-reference frame
            start = (b0 & 0x10) != 0;                // S: start of VP8 partition
            partitionIndex = b0 & 0x07;              // PID: partition index
            int i = 1;
            if (x) {
                if (i >= len) {
                    return false;
                }
                int ext = b[off + i++] & 0xFF;
                boolean hasI = (ext & 0x80) != 0;    // I: PictureID present
                boolean hasL = (ext & 0x40) != 0;    // L: TL0PICIDX present
                boolean hasT = (ext & 0x20) != 0;    // T: TID/Y present
                boolean hasK = (ext & 0x10) != 0;    // K: KEYIDX present
                if (hasI) {
                    if (i >= len) {
                        return false;
                    }
                    int p0 = b[off + i++] & 0xFF;
                    if ((p0 & 0x80) != 0) {          // M: 15-bit picture ID
                        if (i >= len) {
                            return false;
                        }
                        pictureId = ((p0 & 0x7F) << 8) | (b[off + i++] & 0xFF);
                        pictureId15 = true;
                    } else {
                        pictureId = p0 & 0x7F;
                    }
                }
                if (hasL) {
                    if (i >= len) {
                        return false;
                    }
                    tl0PicIdx = b[off + i++] & 0xFF;
                }
                if (hasT || hasK) {                  // one shared octet: TID(2) Y(1) KEYIDX(5)
                    if (i >= len) {
                        return false;
                    }
                    int tk = b[off + i++] & 0xFF;
                    if (hasT) {
                        tid = tk >>> 6;
                        layerSync = (tk & 0x20) != 0;
                    }
                    if (hasK) {
                        keyIdx = tk & 0x1F;
                    }
                }
            }
            length = i;
            return i < len; // the VP8 payload must not be empty
        }
    }

    private final Descriptor descriptor = new Descriptor();

    public Vp8Depacketizer() {
        super(TrackFormat.video(Codec.VP8, 0, 0, null));
    }

    @Override
    public Codec codec() {
        return Codec.VP8;
    }

    @Override
    public boolean isFrameStart(RtpPacket packet) {
        // RFC 7741 4.4: the first packet of a frame has S = 1 and PID = 0
        return descriptor.parse(packet.buffer(), packet.payloadOffset(), packet.payloadLength())
                && descriptor.start && descriptor.partitionIndex == 0;
    }

    @Override
    public boolean isFrameEnd(RtpPacket packet) {
        return packet.marker(); // RFC 7741 4.1: marker set on the last packet of a frame
    }

    @Override
    public boolean append(RtpPacket packet, FrameBuilder frame) {
        int off = packet.payloadOffset();
        int len = packet.payloadLength();
        if (!descriptor.parse(packet.buffer(), off, len)) {
            return false;
        }
        return frame.write(packet.buffer(), off + descriptor.length, len - descriptor.length);
    }

    @Override
    public boolean finish(FrameBuilder frame) {
        byte[] b = frame.array();
        int len = frame.length();
        if (len < 3) {
            return false; // no room for the 3-byte payload header (RFC 7741 4.3)
        }
        // RFC 6386 9.1 frame tag: bit 0 key_frame (0 = key frame), bits 1-3 version, bit 4 show_frame,
        // bits 5-23 first_part_size
        boolean key = (b[0] & 0x01) == 0;
        frame.keyframe(key);
        if (key) {
            // RFC 6386 9.1: start code 0x9d 0x01 0x2a, then 16-bit little-endian width and height: 14 bits of
            // size, 2 bits of scaling (ignored)
            if (len < 10 || (b[3] & 0xFF) != 0x9d || (b[4] & 0xFF) != 0x01 || (b[5] & 0xFF) != 0x2a) {
                return false; // a keyframe without its start code is corrupt
            }
            int width = ((b[6] & 0xFF) | ((b[7] & 0xFF) << 8)) & 0x3FFF;
            int height = ((b[8] & 0xFF) | ((b[9] & 0xFF) << 8)) & 0x3FFF;
            if (width == 0 || height == 0) {
                return false;
            }
            TrackFormat f = format();
            if (f.width() != width || f.height() != height) {
                updateFormat(f.withResolution(width, height));
            }
        }
        return true;
    }
}
