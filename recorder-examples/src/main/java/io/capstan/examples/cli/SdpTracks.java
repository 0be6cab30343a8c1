package io.capstan.examples.cli;

import io.capstan.media.Codec;
import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.RtpFormat;
import io.capstan.sdp.SessionDescription;
import io.capstan.session.TrackSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Maps an SDP's m= sections to session tracks and ports. */
final class SdpTracks {

    /** One recordable m= section. */
    record Entry(TrackSpec spec, int rtpPort, int rtcpPort, boolean rtcpMux) {
    }

    final List<Entry> entries = new ArrayList<>();
    final List<String> skipped = new ArrayList<>();

    static SdpTracks from(SessionDescription sdp) throws CliException {
        SdpTracks r = new SdpTracks();
        Map<String, Integer> seen = new HashMap<>();
        for (MediaDescription m : sdp.media()) {
            String where = "m=" + m.media() + " " + m.port();
            if (m.port() == 0) {
                r.skipped.add(where + " (port 0: disabled)");
                continue;
            }
            if (m.kind().isEmpty()) {
                r.skipped.add(where + " (not audio or video)");
                continue;
            }
            RtpFormat chosen = null;
            Codec codec = null;
            for (RtpFormat f : m.formats()) {
                Optional<Codec> c = f.codec();
                if (c.isPresent()) {
                    chosen = f;
                    codec = c.get();
                    break;
                }
            }
            if (chosen == null) {
                List<String> names = new ArrayList<>();
                for (RtpFormat f : m.formats()) {
                    names.add(f.encodingName().isEmpty() ? "PT " + f.payloadType() : f.encodingName());
                }
                if (names.isEmpty()) {
                    names.addAll(m.formatTokens());
                }
                r.skipped.add(where + " (codec " + String.join(", ", names) + " is not supported)");
                continue;
            }
            String base = m.media();
            int n = seen.merge(base, 1, Integer::sum);
            String id = n == 1 ? base : base + n;
            long ssrc = m.ssrcIds().isEmpty() ? 0 : m.ssrcIds().get(0);
            TrackSpec spec = new TrackSpec(id, codec, chosen.payloadType(), chosen.clockRate(), chosen.channels(),
                    chosen.parameters(), ssrc);
            r.entries.add(new Entry(spec, m.port(), m.effectiveRtcpPort(), m.rtcpMux()));
        }
        if (r.entries.isEmpty()) {
            throw new CliException(1, "the SDP has no media Capstan can record"
                    + (r.skipped.isEmpty() ? "" : ": " + String.join("; ", r.skipped)));
        }
        return r;
    }
}
