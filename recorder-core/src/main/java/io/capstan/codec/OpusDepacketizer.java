package io.capstan.codec;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.rtp.RtpPacket;

/**
 * Opus over RTP, RFC 7587: the payload of one packet is one Opus packet (section 4.2), always with a 48 kHz RTP
 * clock (section 4.1), and every Opus packet decodes on its own. The track's codec private data is the
 * identification header of RFC 7845 section 5.1 (what Ogg, Matroska and MP4 "dOps" derive from):
 * <pre>
 *  "OpusHead" (8) | version = 1 (1) | channel count (1) | pre-skip (2, LE) | input sample rate (4, LE) |
 *  output gain = 0 (2, LE) | channel mapping family = 0 (1)
 * </pre>
 * The channel count is 2 unless the SDP says {@code sprop-stereo=0} (RFC 7587 section 6.1); the pre-skip is
 * 312 samples, libopus's lookahead at 48 kHz (the RTP stream does not signal it).
 *
 * <p>Packets are checked against the cheap framing rules of RFC 6716 section 3.4 (R1 non-empty, R3 equal
 * halves for code 1, R4 first length within the packet for code 2, R5/R6 a frame count for code 3); an empty
 * payload is rejected.
 */
public final class OpusDepacketizer extends AbstractDepacketizer {

    /** libopus's encoder lookahead (6.5 ms at 48 kHz) plus the resampler delay, as opusenc writes it. */
    static final int PRE_SKIP = 312;

    public OpusDepacketizer(int channels) {
        super(TrackFormat.audio(Codec.OPUS, 48000, 48000, channels, opusHead(channels)));
        if (channels != 1 && channels != 2) {
            throw new IllegalArgumentException("Opus over RTP carries mono or stereo, not " + channels + " channels");
        }
    }

    /** RFC 7845 5.1 identification header, channel mapping family 0. */
    static byte[] opusHead(int channels) {
        byte[] h = new byte[19];
        byte[] magic = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd'};
        System.arraycopy(magic, 0, h, 0, 8);
        h[8] = 1;                          // version
        h[9] = (byte) channels;            // output channel count
        h[10] = (byte) PRE_SKIP;           // pre-skip, little-endian
        h[11] = (byte) (PRE_SKIP >>> 8);
        int rate = 48000;                  // input sample rate, little-endian (informational)
        h[12] = (byte) rate;
        h[13] = (byte) (rate >>> 8);
        h[14] = (byte) (rate >>> 16);
        h[15] = (byte) (rate >>> 24);
        h[16] = 0;                         // output gain (Q7.8 dB), little-endian
        h[17] = 0;
        h[18] = 0;                         // channel mapping family 0: mono/stereo, no mapping table
        return h;
    }

    @Override
    public Codec codec() {
        return Codec.OPUS;
    }

    @Override
    public boolean isFrameStart(RtpPacket packet) {
        return true; // one packet, one frame
    }

    @Override
    public boolean isFrameEnd(RtpPacket packet) {
        return true;
    }

    @Override
    public boolean append(RtpPacket packet, FrameBuilder frame) {
        int off = packet.payloadOffset();
        int len = packet.payloadLength();
        if (!valid(packet.buffer(), off, len)) {
            return false;
        }
        return frame.write(packet.buffer(), off, len);
    }

    /** RFC 6716 3.1 TOC byte {@code config(5) s(1) c(2)} and 3.2 frame packing, checked cheaply. */
    static boolean valid(byte[] b, int off, int len) {
        if (len < 1) {
            return false; // R1: at least one byte (the TOC)
        }
        int c = b[off] & 0x03; // frame count code
        switch (c) {
            case 1:
                return ((len - 1) & 1) == 0; // R3: two frames of equal size
            case 2:
                if (len < 2) {
                    return false; // R4: the first frame's length must be there
                }
                int n1 = b[off + 1] & 0xFF;
                int hdr = 2;
                if (n1 >= 252) {
                    if (len < 3) {
                        return false;
                    }
                    n1 += 4 * (b[off + 2] & 0xFF);
                    hdr = 3;
                }
                return n1 <= len - hdr; // R4
            case 3:
                if (len < 2) {
                    return false; // R6: code 3 needs the frame count byte
                }
                int m = b[off + 1] & 0x3F;
                return m != 0; // R5: at least one frame
            default:
                return true; // code 0: one frame (R2, 1275 bytes, is the encoder's business)
        }
    }

    @Override
    public boolean finish(FrameBuilder frame) {
        frame.keyframe(true); // every Opus packet decodes independently
        return frame.length() > 0;
    }
}
