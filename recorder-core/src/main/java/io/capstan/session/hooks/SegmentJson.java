package io.capstan.session.hooks;

import io.capstan.media.TrackFormat;
import io.capstan.session.SegmentInfo;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The JSON document describing one closed segment, as {@link MetadataReporter} sends it to a cluster-wide index:
 *
 * <pre>
 * {"stream":"camera1","node":"rec-1","path":"/records/camera1_20261121T100000Z.webm",
 *  "key":"camera1_20261121T100000Z.webm","container":"webm",
 *  "startMicros":1795255200000000,"endMicros":1795255260000000,"durationMicros":60000000,
 *  "offsetMicros":0,"startTime":"2026-11-21T10:00:00Z","bytes":1234567,"frames":4500,"complete":true,
 *  "tracks":[{"id":"video","codec":"VP8","frames":1800,"width":640,"height":480},
 *            {"id":"audio","codec":"OPUS","frames":2700,"sampleRate":48000,"channels":2}],
 *  "keyframesMicros":[0,1000000,2000000]}
 * </pre>
 * {@code startMicros}/{@code endMicros} are wall-clock (Unix epoch) microseconds of the segment's first and last
 * media; {@code offsetMicros} is where the segment starts on its session's timeline; {@code keyframesMicros} are
 * the video keyframes relative to the segment start (a player seeks there). {@code node} is omitted when no
 * alias is configured. Strings are escaped per RFC 8259 section 7.
 */
public final class SegmentJson {

    private SegmentJson() {
    }

    public static String of(String stream, String nodeAlias, SegmentInfo s) {
        StringBuilder b = new StringBuilder(256 + 12 * s.keyframeMicros().size());
        b.append('{');
        field(b, "stream", stream).append(',');
        if (nodeAlias != null && !nodeAlias.isEmpty()) {
            field(b, "node", nodeAlias).append(',');
        }
        field(b, "path", s.location()).append(',');
        field(b, "key", s.key()).append(',');
        field(b, "container", s.container().id()).append(',');
        long start = s.startTime() == null ? 0 : epochMicros(s.startTime());
        b.append("\"startMicros\":").append(start).append(',');
        b.append("\"endMicros\":").append(start + s.durationMicros()).append(',');
        b.append("\"durationMicros\":").append(s.durationMicros()).append(',');
        b.append("\"offsetMicros\":").append(s.startMicros()).append(',');
        if (s.startTime() != null) {
            field(b, "startTime", s.startTime().toString()).append(',');
        }
        b.append("\"bytes\":").append(s.bytes()).append(',');
        b.append("\"frames\":").append(s.totalFrames()).append(',');
        b.append("\"complete\":").append(s.complete()).append(',');
        b.append("\"tracks\":[");
        for (int i = 0; i < s.tracks().size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append('{');
            field(b, "id", s.tracks().get(i));
            if (i < s.formats().size()) {
                TrackFormat f = s.formats().get(i);
                b.append(',');
                field(b, "codec", f.codec().name());
                if (f.codec().isVideo()) {
                    b.append(",\"width\":").append(f.width()).append(",\"height\":").append(f.height());
                } else {
                    b.append(",\"sampleRate\":").append(f.sampleRate()).append(",\"channels\":").append(f.channels());
                }
            }
            if (i < s.frames().size()) {
                b.append(",\"frames\":").append(s.frames().get(i));
            }
            b.append('}');
        }
        b.append("],\"keyframesMicros\":[");
        List<Long> k = s.keyframeMicros();
        for (int i = 0; i < k.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(k.get(i).longValue());
        }
        return b.append("]}").toString();
    }

    static long epochMicros(Instant t) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":");
        return quote(b, value);
    }

    /** Appends {@code s} as a JSON string (RFC 8259 section 7), or {@code null}. */
    public static StringBuilder quote(StringBuilder b, String s) {
        if (s == null) {
            return b.append("null");
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c)
                            && !validSurrogate(s, i)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
