/**
 * Session descriptions (RFC 8866): {@link io.capstan.sdp.SdpParser} turns an SDP into a
 * {@link io.capstan.sdp.SessionDescription} with one {@link io.capstan.sdp.MediaDescription} per m= section and one
 * {@link io.capstan.sdp.RtpFormat} per payload type (rtpmap, fmtp, RFC 3551 static types), which is what a recorder
 * needs to pick depacketizers and set up tracks.
 */
package io.capstan.sdp;
