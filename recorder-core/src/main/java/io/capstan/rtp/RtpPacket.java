package io.capstan.rtp;

/**
 * A flyweight, zero-copy view of one RTP packet (RFC 3550 section 5.1) over {@code (byte[] buf, int off, int len)}.
 * {@link #wrap} validates the structure once and reads the header fields in place; the view owns nothing and is
 * reused for the next packet, so parsing allocates nothing.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * |           synchronization source (SSRC) identifier            |
 * |            contributing source (CSRC) identifiers  (CC * 4)   |
 * | defined by profile (0xBEDE / 0x100x) |        length          |  (X = 1)
 * |                        header extension                       |
 * |                            payload ...         | padding | n |  (P = 1)
 * </pre>
 */
public final class RtpPacket {

    private byte[] buf;
    private int off;
    private int len;
    private int payloadOff;
    private int payloadLen;
    private int extOff = -1;
    private int extLen;
    private int extProfile;

    /**
     * Points this view at a datagram and validates it.
     *
     * @return {@code null} when the packet is well formed, otherwise why it is not (the view is then unusable)
     */
    public RtpRejectReason wrap(byte[] buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        this.extOff = -1;
        this.extLen = 0;
        this.payloadOff = 0;
        this.payloadLen = 0;
        if (buf == null || off < 0 || len < 12 || off + len > buf.length) {
            return RtpRejectReason.TOO_SHORT;
        }
        int b0 = buf[off] & 0xFF;
        if ((b0 >>> 6) != 2) {
            return RtpRejectReason.BAD_VERSION;
        }
        int pt = buf[off + 1] & 0x7F;
        if (pt >= 72 && pt <= 76) {
            return RtpRejectReason.RTCP_PAYLOAD_TYPE;
        }
        int cc = b0 & 0x0F;
        int pos = 12 + cc * 4;
        if (pos > len) {
            return RtpRejectReason.CSRC_OVERRUN;
        }
        if ((b0 & 0x10) != 0) { // X: RFC 3550 5.3.1
            if (pos + 4 > len) {
                return RtpRejectReason.EXTENSION_OVERRUN;
            }
            extProfile = ((buf[off + pos] & 0xFF) << 8) | (buf[off + pos + 1] & 0xFF);
            int words = ((buf[off + pos + 2] & 0xFF) << 8) | (buf[off + pos + 3] & 0xFF);
            int bytes = words * 4;
            if (pos + 4 + bytes > len) {
                return RtpRejectReason.EXTENSION_OVERRUN;
            }
            extOff = off + pos + 4;
            extLen = bytes;
            if (!extensionElementsValid()) {
                return RtpRejectReason.BAD_EXTENSION_ELEMENT;
            }
            pos += 4 + bytes;
        }
        int end = len;
        if ((b0 & 0x20) != 0) { // P: the last octet counts the padding octets, itself included (5.1)
            int pad = buf[off + len - 1] & 0xFF;
            if (pad == 0 || pos + pad > len) {
                return RtpRejectReason.BAD_PADDING;
            }
            end = len - pad;
        }
        payloadOff = off + pos;
        payloadLen = end - pos;
        return null;
    }

    /** RFC 8285: every one-byte (0xBEDE) or two-byte (0x100X) element must fit in the extension block. */
    private boolean extensionElementsValid() {
        boolean oneByte = extProfile == 0xBEDE;
        boolean twoByte = (extProfile & 0xFFF0) == 0x1000;
        if (!oneByte && !twoByte) {
            return true; // some other profile: opaque
        }
        int p = extOff;
        int end = extOff + extLen;
        while (p < end) {
            int b = buf[p] & 0xFF;
            if (b == 0) { // padding byte (4.1 / 4.3)
                p++;
                continue;
            }
            int elen;
            if (oneByte) {
                if ((b >>> 4) == 15) { // ID 15: stop parsing (4.2)
                    return true;
                }
                elen = (b & 0x0F) + 1;
                p += 1;
            } else {
                if (p + 1 >= end) {
                    return false;
                }
                elen = buf[p + 1] & 0xFF;
                p += 2;
            }
            if (p + elen > end) {
                return false;
            }
            p += elen;
        }
        return true;
    }

    public byte[] buffer() {
        return buf;
    }

    public int offset() {
        return off;
    }

    public int length() {
        return len;
    }

    public int version() {
        return (buf[off] & 0xFF) >>> 6;
    }

    public boolean hasPadding() {
        return (buf[off] & 0x20) != 0;
    }

    public boolean hasExtension() {
        return (buf[off] & 0x10) != 0;
    }

    public int csrcCount() {
        return buf[off] & 0x0F;
    }

    public long csrc(int i) {
        return readUint32(buf, off + 12 + 4 * i);
    }

    public boolean marker() {
        return (buf[off + 1] & 0x80) != 0;
    }

    public int payloadType() {
        return buf[off + 1] & 0x7F;
    }

    public int sequenceNumber() {
        return ((buf[off + 2] & 0xFF) << 8) | (buf[off + 3] & 0xFF);
    }

    /** The 32-bit RTP timestamp as an unsigned value. */
    public long timestamp() {
        return readUint32(buf, off + 4);
    }

    /** The SSRC as an unsigned 32-bit value. */
    public long ssrc() {
        return readUint32(buf, off + 8);
    }

    public int payloadOffset() {
        return payloadOff;
    }

    /** Payload length without padding. */
    public int payloadLength() {
        return payloadLen;
    }

    /** Payload byte {@code i} (0-based) as unsigned. */
    public int payloadByte(int i) {
        return buf[payloadOff + i] & 0xFF;
    }

    /** The header-extension profile ({@code 0xBEDE} one-byte, {@code 0x100X} two-byte), or -1 when absent. */
    public int extensionProfile() {
        return extOff < 0 ? -1 : extProfile;
    }

    /**
     * Finds an RFC 8285 header-extension element by id.
     *
     * @return the element's offset in {@link #buffer()} shifted left 16 bits OR its length, or -1 when absent.
     *         Use {@link #elementOffset(long)} / {@link #elementLength(long)} to decode without allocating.
     */
    public long findExtension(int id) {
        if (extOff < 0) {
            return -1;
        }
        boolean oneByte = extProfile == 0xBEDE;
        boolean twoByte = (extProfile & 0xFFF0) == 0x1000;
        if (!oneByte && !twoByte) {
            return -1;
        }
        int p = extOff;
        int end = extOff + extLen;
        while (p < end) {
            int b = buf[p] & 0xFF;
            if (b == 0) {
                p++;
                continue;
            }
            int eid;
            int elen;
            if (oneByte) {
                eid = b >>> 4;
                if (eid == 15) {
                    return -1;
                }
                elen = (b & 0x0F) + 1;
                p += 1;
            } else {
                eid = b;
                elen = buf[p + 1] & 0xFF;
                p += 2;
            }
            if (eid == id) {
                return ((long) p << 16) | elen;
            }
            p += elen;
        }
        return -1;
    }

    public static int elementOffset(long found) {
        return (int) (found >>> 16);
    }

    public static int elementLength(long found) {
        return (int) (found & 0xFFFF);
    }

    /** Reads an unsigned big-endian 32-bit value (SSRCs, timestamps) without a view. */
    public static long readUint32(byte[] b, int i) {
        return ((long) (b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }

    @Override
    public String toString() {
        return "RtpPacket[pt=" + payloadType() + ", seq=" + sequenceNumber() + ", ts=" + timestamp() + ", ssrc="
                + ssrc() + (marker() ? ", M" : "") + ", payload=" + payloadLen + "]";
    }
}
