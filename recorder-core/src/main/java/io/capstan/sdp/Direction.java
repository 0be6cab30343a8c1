package io.capstan.sdp;

/** Media direction attribute (RFC 8866 sections 6.7.1-6.7.4), seen from the side that wrote the SDP. */
public enum Direction {
    SENDRECV, SENDONLY, RECVONLY, INACTIVE
}
