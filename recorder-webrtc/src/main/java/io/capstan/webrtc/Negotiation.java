package io.capstan.webrtc;

import io.capstan.session.TrackSpec;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The outcome of {@link OfferAnswer#answer}: the answer to send back and everything the transport and the session
 * need from both sides.
 *
 * @param answerSdp         the SDP answer (CRLF line ends)
 * @param remoteIce         the browser's ICE credentials
 * @param remoteFingerprint the browser's DTLS certificate fingerprint (verify it in the handshake)
 * @param remoteSetup       the browser's {@code a=setup} ({@code actpass} or {@code active}); Capstan is passive
 * @param localIce          the credentials in the answer (Capstan is ICE-lite)
 * @param localFingerprint  the fingerprint in the answer (of the DTLS certificate the transport will present)
 * @param candidates        the host candidates in the answer
 * @param remoteCandidates  the offer's {@code a=candidate} values (without {@code a=candidate:}); often none or
 *                          mDNS names, the browser's addresses are then learnt from its checks
 * @param tracks            the accepted m= lines, in m= line order
 * @param rejected          one sentence per rejected m= line (port 0 in the answer)
 */
public record Negotiation(String answerSdp, IceCredentials remoteIce, DtlsFingerprint remoteFingerprint,
                          String remoteSetup, IceCredentials localIce, DtlsFingerprint localFingerprint,
                          List<InetSocketAddress> candidates, List<String> remoteCandidates, List<NegotiatedTrack> tracks, List<String> rejected) {

    public Negotiation {
        candidates = List.copyOf(candidates);
        remoteCandidates = List.copyOf(remoteCandidates);
        tracks = List.copyOf(tracks);
        rejected = List.copyOf(rejected);
    }

    /** The tracks to add to the recording session. */
    public List<TrackSpec> trackSpecs() {
        return tracks.stream().map(NegotiatedTrack::spec).toList();
    }
}
