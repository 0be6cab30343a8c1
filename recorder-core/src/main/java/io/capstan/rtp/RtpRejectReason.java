package io.capstan.rtp;

/** Why a datagram was not accepted as an RTP packet (RFC 3550 section 5.1, RFC 8285). */
public enum RtpRejectReason {
    /** Fewer than the 12 bytes of the fixed header. */
    TOO_SHORT,
    /** Version field is not 2. */
    BAD_VERSION,
    /** The CSRC list (CC * 4 bytes) runs past the end. */
    CSRC_OVERRUN,
    /** The header extension (4 + length * 4 bytes) runs past the end. */
    EXTENSION_OVERRUN,
    /** An RFC 8285 element inside the extension block runs past its block. */
    BAD_EXTENSION_ELEMENT,
    /** P bit set but the padding count is 0 or larger than what is left after the header. */
    BAD_PADDING,
    /** Payload type is 72-76: the datagram is RTCP (RFC 5761 section 4). */
    RTCP_PAYLOAD_TYPE,
    /** Parsed, but the payload type is not one this track records. */
    UNKNOWN_PAYLOAD_TYPE,
    /** The codec's payload descriptor or payload header is malformed. */
    BAD_PAYLOAD
}
