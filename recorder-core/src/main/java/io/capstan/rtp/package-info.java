/** RTP (RFC 3550) and RTCP parsing as flyweight views, wrap-aware sequence math and the per-SSRC receive buffer. */
package io.capstan.rtp;
