package io.capstan.examples.cli;

import io.capstan.media.TrackFormat;
import io.capstan.mux.Container;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.rtp.RtcpParser;
import io.capstan.session.Layout;
import io.capstan.session.NamingOptions;
import io.capstan.session.RecordingEvent;
import io.capstan.session.RecordingSession;
import io.capstan.session.SegmentInfo;
import io.capstan.session.TrackInput;
import io.capstan.session.TrackStats;
import io.capstan.session.hooks.SegmentHook;
import io.capstan.session.hooks.SegmentHooks;
import io.capstan.storage.StorageSink;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Glue shared by convert / listen / demo: a session for an SDP's tracks, port routing, and the report. */
final class Recorder {

    final SdpTracks tracks;
    final RecordingSession session;
    private final Map<Integer, TrackInput> rtpPorts = new HashMap<>();
    private final Map<Integer, Boolean> rtcpPorts = new HashMap<>();
    final List<String> keyframeRequests = new ArrayList<>();
    long ignoredDatagrams;

    Recorder(SdpTracks tracks, StorageSink sink, Container container, boolean perTrack, String stream, InstantSource clock,
             Duration backpressure, PrintStream log) throws CliException {
        this(tracks, sink, container, perTrack, stream, clock, backpressure, log, List.of());
    }

    /**
     * With {@code hooks} run for every closed segment (off the muxing lane; see {@link SegmentHooks}); the last
     * constructor also applies {@code tune} to the session builder (rotation).
     */
    Recorder(SdpTracks tracks, StorageSink sink, Container container, boolean perTrack, String stream, InstantSource clock,
             Duration backpressure, PrintStream log, List<SegmentHook> hooks) throws CliException {
        this(tracks, sink, container, perTrack, stream, clock, backpressure, log, hooks, Naming.DEFAULT, b -> b);
    }

    /** File naming from the command line: a template (null: the library's defaults) and its options. */
    record Naming(String template, NamingOptions options) {
        static final Naming DEFAULT = new Naming(null, NamingOptions.DEFAULT);
    }

    /** With file names from {@code naming} (the template applies to combined and to per-track files). */
    Recorder(SdpTracks tracks, StorageSink sink, Container container, boolean perTrack, String stream, InstantSource clock,
             Duration backpressure, PrintStream log, List<SegmentHook> hooks, Naming naming,
             java.util.function.UnaryOperator<RecordingSession.Builder> tune) throws CliException {
        this.tracks = tracks;
        RecordingSession.Builder b = RecordingSession.builder()
                .stream(stream)
                .id(stream)
                .sink(sink)
                .layout(perTrack ? Layout.PER_TRACK : Layout.COMBINED)
                .clock(clock)
                .backpressure(backpressure)
                .listener(SegmentHooks.of(stream, e -> onEvent(e, log), hooks));
        try {
            b.namingOptions(naming.options());
            if (naming.template() != null) {
                b.naming(naming.template()).perTrackNaming(naming.template());
            }
            b.muxers(StandardMuxers.selector(container, perTrack));
            for (SdpTracks.Entry e : tracks.entries) {
                b.track(e.spec());
            }
            session = tune.apply(b).build();
        } catch (IllegalArgumentException e) {
            throw new CliException(1, e.getMessage());
        }
        for (SdpTracks.Entry e : tracks.entries) {
            rtpPorts.put(e.rtpPort(), session.track(e.spec().id()));
            rtcpPorts.put(e.rtcpPort(), Boolean.TRUE);
        }
    }

    private void onEvent(RecordingEvent e, PrintStream log) {
        if (e instanceof RecordingEvent.KeyframeNeeded k) {
            synchronized (keyframeRequests) {
                keyframeRequests.add(k.track() + ": " + k.reason());
            }
        } else if (e instanceof RecordingEvent.Error err) {
            log.println("capstan: warning: " + err.reason());
        } else if (e instanceof RecordingEvent.Overflow o) {
            log.println("capstan: warning: track " + o.track() + " dropped " + o.droppedFrames()
                    + " frame(s): the muxing lane is full");
        }
    }

    /** Routes one datagram by destination port. */
    void datagram(int port, byte[] buf, int off, int len, long arrivalNanos) {
        TrackInput t = rtpPorts.get(port);
        if (t != null) {
            if (RtcpParser.looksLikeRtcp(buf, off, len)) {
                session.pushRtcp(buf, off, len, arrivalNanos); // rtcp-mux
            } else {
                t.pushRtp(buf, off, len, arrivalNanos);
            }
        } else if (rtcpPorts.containsKey(port)) {
            session.pushRtcp(buf, off, len, arrivalNanos);
        } else {
            ignoredDatagrams++;
        }
    }

    List<Integer> ports() {
        List<Integer> p = new ArrayList<>(rtpPorts.keySet());
        for (Integer r : rtcpPorts.keySet()) {
            if (!p.contains(r)) {
                p.add(r);
            }
        }
        return p;
    }

    /** The report JSON model. */
    static Map<String, Object> report(Recorder r, List<SegmentInfo> segments, Path outDir, Map<String, Object> input) {
        Map<String, Object> rep = new LinkedHashMap<>();
        List<Object> files = new ArrayList<>();
        for (SegmentInfo s : segments) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("path", s.location());
            f.put("container", s.container().id());
            List<Object> tr = new ArrayList<>();
            for (int i = 0; i < s.tracks().size(); i++) {
                TrackFormat fmt = s.formats().get(i);
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("id", s.tracks().get(i));
                t.put("codec", fmt.codec().name());
                if (fmt.codec().isVideo()) {
                    t.put("width", fmt.width());
                    t.put("height", fmt.height());
                } else {
                    t.put("sampleRate", fmt.sampleRate());
                    t.put("channels", fmt.channels());
                }
                t.put("frames", s.frames().get(i));
                tr.add(t);
            }
            f.put("tracks", tr);
            f.put("startMs", s.startMicros() / 1000.0);
            f.put("durationMs", s.durationMicros() / 1000.0);
            f.put("frames", s.totalFrames());
            f.put("bytes", s.bytes());
            f.put("complete", s.complete());
            files.add(f);
        }
        rep.put("files", files);
        List<Object> stats = new ArrayList<>();
        for (TrackStats st : r.session.stats()) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("id", st.track());
            SdpTracks.Entry e = r.tracks.entries.stream().filter(x -> x.spec().id().equals(st.track())).findFirst()
                    .orElseThrow();
            t.put("codec", e.spec().codec().name());
            t.put("payloadType", e.spec().payloadType());
            t.put("port", e.rtpPort());
            t.put("ssrc", st.ssrc());
            t.put("packets", st.packets());
            t.put("lost", st.lost());
            t.put("duplicates", st.duplicates());
            t.put("reordered", st.reordered());
            t.put("invalid", st.invalid());
            t.put("late", st.late());
            t.put("framesOut", st.framesOut());
            t.put("framesDropped", st.framesDropped());
            t.put("overflowDropped", st.overflowDropped());
            t.put("keyframeRequests", st.keyframeRequests());
            t.put("ssrcChanges", st.ssrcChanges());
            stats.add(t);
        }
        rep.put("tracks", stats);
        rep.put("timeline", r.session.timelineMode().name().toLowerCase());
        rep.put("input", input);
        rep.put("rtcpInvalid", r.session.rtcpInvalid());
        rep.put("ignoredDatagrams", r.ignoredDatagrams);
        rep.put("skippedMedia", r.tracks.skipped);
        rep.put("errors", r.session.errors());
        rep.put("outputDirectory", outDir.toAbsolutePath().toString());
        return rep;
    }
}
