/**
 * DTLS-SRTP for WebRTC ingest (RFC 5763, RFC 5764): Capstan is always the DTLS server ({@code a=setup:passive}),
 * the browser the client.
 *
 * <pre>
 * {@link io.capstan.webrtc.dtls.DtlsCertificate}     self-signed ECDSA P-256 (Bouncy Castle), once per process;
 *                                                 its sha-256 fingerprint goes into the SDP answer
 * host's socket demultiplexer --offer()--> {@link io.capstan.webrtc.dtls.PacketQueueTransport} --Sender--> ICE-selected address
 * {@link io.capstan.webrtc.dtls.DtlsSrtpServer#accept}       DTLS 1.2 handshake on the caller's thread (BC DTLSServerProtocol):
 *                                                 ECDHE-ECDSA, extended master secret, use_srtp (GCM, then
 *                                                 AES-CM + HMAC-SHA1-80), client certificate == a=fingerprint
 *   -> {@link io.capstan.webrtc.dtls.DtlsSrtpConnection}     keys from EXTRACTOR-dtls_srtp; one reader thread until close_notify
 *                                                 or alert ({@link io.capstan.webrtc.dtls.CloseListener}); close() sends close_notify
 *   -> {@link io.capstan.webrtc.dtls.SrtpSession}            in place, allocation-free: unprotect the browser's SRTP/SRTCP,
 *                                                 protect Capstan's RTCP (PLI, RR, NACK)
 * </pre>
 *
 * <p>SRTP is implemented here rather than taken from a library: the RFC 3711 / RFC 7714 framing (header length,
 * ROC estimation of appendix A, a replay window per SSRC, per-SSRC contexts created on the first authentic
 * packet, bounded) around the JDK's AES (one ECB call per packet for all counter blocks, so AES-NI does the work)
 * and SHA-1, and Bouncy Castle's table-driven GHASH for GCM. Tests check it against RFC 3711's test vectors and
 * against libsrtp (GStreamer's srtpenc/srtpdec) in both directions.
 */
package io.capstan.webrtc.dtls;
