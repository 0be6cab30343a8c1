package io.capstan.session;

import io.capstan.media.TrackFormat;
import io.capstan.mux.Container;

import java.time.Instant;
import java.util.List;

/**
 * Metadata of one written segment (file or object), as reported when it closes.
 *
 * @param location   where the committed segment lives (path or URI)
 * @param key        the segment's relative name inside the sink
 * @param tracks     the track ids in the file, in the muxer's track order
 * @param formats    the formats declared for those tracks
 * @param startMicros the segment's origin on the session timeline (0 = the session's first media)
 * @param durationMicros media duration of the segment
 * @param startTime  wall-clock time of the segment's origin (from the session's clock)
 * @param frames     frames written, per track (same order as {@code tracks})
 * @param bytes      size of the segment
 * @param complete   false when the segment ended on an error (it still holds what was written before it)
 * @param keyframeMicros presentation times of the keyframes of the segment's first video track, relative to the
 *                   segment's start (microseconds, increasing; one long per keyframe, empty for audio-only)
 */
public record SegmentInfo(String location, String key, Container container, List<String> tracks,
                          List<TrackFormat> formats, long startMicros, long durationMicros, Instant startTime,
                          List<Long> frames, long bytes, boolean complete, List<Long> keyframeMicros) {

    public SegmentInfo {
        keyframeMicros = keyframeMicros == null ? List.of()
                : keyframeMicros instanceof LongList ? keyframeMicros : List.copyOf(keyframeMicros);
    }

    /** Without keyframe positions (audio-only segments, hosts building their own). */
    public SegmentInfo(String location, String key, Container container, List<String> tracks,
                       List<TrackFormat> formats, long startMicros, long durationMicros, Instant startTime,
                       List<Long> frames, long bytes, boolean complete) {
        this(location, key, container, tracks, formats, startMicros, durationMicros, startTime, frames, bytes,
                complete, List.of());
    }

    /** End of the segment on the session timeline: {@code startMicros + durationMicros}. */
    public long endMicros() {
        return startMicros + durationMicros;
    }

    public long totalFrames() {
        return frames.stream().mapToLong(Long::longValue).sum();
    }
}
