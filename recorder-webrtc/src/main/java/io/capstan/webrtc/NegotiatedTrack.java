package io.capstan.webrtc;

import io.capstan.session.TrackSpec;

import java.util.List;
import java.util.Map;

/**
 * One accepted m= line: its {@code a=mid}, the track to record (the chosen payload type, clock and fmtp), the
 * sender's SSRCs as offered (the primary first, then e.g. its RTX SSRC from {@code a=ssrc-group:FID}) and the
 * header extensions kept in the answer (URI to id).
 */
public record NegotiatedTrack(String mid, TrackSpec spec, List<Long> offeredSsrcs, Map<String, Integer> extmap) {
    public NegotiatedTrack {
        offeredSsrcs = List.copyOf(offeredSsrcs);
        extmap = Map.copyOf(extmap);
    }
}
