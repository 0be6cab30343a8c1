package io.capstan.rtp;

import java.nio.charset.StandardCharsets;

/**
 * Walks an RTCP compound packet (RFC 3550 section 6) and reports the parts recording cares about: SR (6.4.1),
 * RR (6.4.2), SDES CNAME (6.5), BYE (6.6). Every length is checked against the buffer; a malformed compound
 * packet yields a reason and no exception. Other packet types (APP, feedback, XR) are skipped.
 *
 * <pre>
 *  0                   1                   2                   3
 * |V=2|P|    RC   |   PT=SR=200   |             length            |
 * |                         SSRC of sender                        |
 * |              NTP timestamp, most significant word             |
 * |             NTP timestamp, least significant word             |
 * |                         RTP timestamp                         |
 * |                     sender's packet count                     |
 * |                      sender's octet count                     |
 * |                 report blocks (RC * 24 bytes) ...             |
 * </pre>
 */
public final class RtcpParser {

    /** Receives the parts of a compound packet. Default methods ignore a part. */
    public interface Visitor {
        default void senderReport(SenderReport sr) {
        }

        default void receiverReport(long ssrc, int reportBlocks) {
        }

        default void sdesCname(long ssrc, String cname) {
        }

        default void bye(long ssrc) {
        }
    }

    public static final int SR = 200;
    public static final int RR = 201;
    public static final int SDES = 202;
    public static final int BYE = 203;

    private RtcpParser() {
    }

    /** Whether a datagram looks like RTCP rather than RTP (RFC 5761 section 4: PT 192-223 in the second byte). */
    public static boolean looksLikeRtcp(byte[] buf, int off, int len) {
        if (len < 8 || ((buf[off] & 0xFF) >>> 6) != 2) {
            return false;
        }
        int pt = buf[off + 1] & 0xFF;
        return pt >= 192 && pt <= 223;
    }

    /**
     * Parses a compound packet.
     *
     * @return null when well formed, otherwise a short reason (parts before the bad one were still reported)
     */
    public static String parse(byte[] buf, int off, int len, Visitor v) {
        if (buf == null || off < 0 || len < 4 || off + len > buf.length) {
            return "shorter than an RTCP header";
        }
        int p = off;
        int end = off + len;
        while (p < end) {
            if (end - p < 4) {
                return "trailing bytes after the last RTCP packet";
            }
            int b0 = buf[p] & 0xFF;
            if ((b0 >>> 6) != 2) {
                return "RTCP version is not 2";
            }
            int count = b0 & 0x1F;
            int pt = buf[p + 1] & 0xFF;
            int bytes = (((buf[p + 2] & 0xFF) << 8) | (buf[p + 3] & 0xFF)) * 4 + 4;
            if (p + bytes > end) {
                return "RTCP length runs past the datagram";
            }
            int bodyEnd = p + bytes;
            if ((b0 & 0x20) != 0) { // padding (only valid on the last packet, but be lenient)
                int pad = buf[bodyEnd - 1] & 0xFF;
                if (pad == 0 || pad > bytes - 4) {
                    return "bad RTCP padding";
                }
                bodyEnd -= pad;
            }
            switch (pt) {
                case SR -> {
                    if (bodyEnd - p < 28 + count * 24) {
                        return "SR shorter than its report count";
                    }
                    long ssrc = RtpPacket.readUint32(buf, p + 4);
                    long ntp = (RtpPacket.readUint32(buf, p + 8) << 32) | RtpPacket.readUint32(buf, p + 12);
                    v.senderReport(new SenderReport(ssrc, ntp, RtpPacket.readUint32(buf, p + 16),
                            RtpPacket.readUint32(buf, p + 20), RtpPacket.readUint32(buf, p + 24)));
                }
                case RR -> {
                    if (bodyEnd - p < 8 + count * 24) {
                        return "RR shorter than its report count";
                    }
                    v.receiverReport(RtpPacket.readUint32(buf, p + 4), count);
                }
                case SDES -> {
                    String err = sdes(buf, p + 4, bodyEnd, count, v);
                    if (err != null) {
                        return err;
                    }
                }
                case BYE -> {
                    if (bodyEnd - p < 4 + count * 4) {
                        return "BYE shorter than its source count";
                    }
                    for (int i = 0; i < count; i++) {
                        v.bye(RtpPacket.readUint32(buf, p + 4 + 4 * i));
                    }
                }
                default -> {
                    // APP (204), RTPFB/PSFB (205/206), XR (207): not needed for recording
                }
            }
            p += bytes;
        }
        return null;
    }

    /** SDES chunks (6.5): SSRC, then items (type, length, text) ending with a zero type, padded to 32 bits. */
    private static String sdes(byte[] buf, int p, int end, int chunks, Visitor v) {
        for (int c = 0; c < chunks; c++) {
            if (end - p < 4) {
                return "SDES chunk past the end";
            }
            long ssrc = RtpPacket.readUint32(buf, p);
            p += 4;
            while (true) {
                if (p >= end) {
                    return "SDES items past the end";
                }
                int type = buf[p] & 0xFF;
                if (type == 0) {
                    p = (p + 4) & ~3; // skip the null octet(s) to the next 32-bit boundary
                    break;
                }
                if (p + 2 > end) {
                    return "SDES item header past the end";
                }
                int ilen = buf[p + 1] & 0xFF;
                if (p + 2 + ilen > end) {
                    return "SDES item past the end";
                }
                if (type == 1) {
                    v.sdesCname(ssrc, new String(buf, p + 2, ilen, StandardCharsets.UTF_8));
                }
                p += 2 + ilen;
            }
        }
        return null;
    }

    /**
     * Writes a Picture Loss Indication (RFC 4585 section 6.3.1, PT=PSFB 206, FMT=1) for a host that wants to ask the
     * sender for a keyframe. Returns the 12 bytes.
     */
    public static byte[] pli(long senderSsrc, long mediaSsrc) {
        byte[] b = new byte[12];
        b[0] = (byte) 0x81; // V=2, P=0, FMT=1
        b[1] = (byte) 206;
        b[3] = 2; // length: 3 words - 1
        putUint32(b, 4, senderSsrc);
        putUint32(b, 8, mediaSsrc);
        return b;
    }

    private static void putUint32(byte[] b, int i, long v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }
}
