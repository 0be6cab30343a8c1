/**
 * WebRTC ingest over WHIP (RFC 9725): a browser POSTs an SDP offer, Capstan answers (ICE-lite, DTLS passive,
 * receive-only) and records what arrives into a {@link io.capstan.session.RecordingSession}.
 *
 * <pre>
 * POST /whip  (application/sdp offer)
 *   -> {@link io.capstan.webrtc.OfferAnswer}      parse (recorder-core SdpParser), pick one codec per m= line,
 *                                                write the answer, map m= lines to TrackSpecs
 *   -> host's session factory                  one RecordingSession per WHIP resource
 *   -> {@link io.capstan.webrtc.WebRtcTransport}  ICE + DTLS-SRTP (pluggable; ice4j + Bouncy Castle come next)
 *        delivers decrypted RTP/RTCP to an {@link io.capstan.webrtc.RtpSink} -> RecordingSession.push
 * DELETE /whip/{id} -> transport closed, session stopped (files committed)
 * </pre>
 */
package io.capstan.webrtc;
