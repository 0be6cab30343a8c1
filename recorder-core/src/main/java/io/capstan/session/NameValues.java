package io.capstan.session;

import java.time.Instant;

/**
 * The values a {@link NamingTemplate} can put into a segment's name. Strings may come from the network (stream
 * and room names, participant logins, track ids) and are never trusted: the template encodes or sanitizes them.
 * A null string renders as '_'.
 *
 * @param stream          {@code {stream}}, {@code {streamName}}
 * @param room            {@code {room}}
 * @param track           {@code {track}}, {@code {trackID}}: the file's track id(s), joined with '+'
 * @param ssrc            {@code {ssrc}}: the RTP SSRC of a single-track file (empty for combined files)
 * @param participant     {@code {participant}}, {@code {login}}
 * @param sessionId       {@code {sessionId}}: the recording session's id
 * @param mediaSessionId  {@code {mediaSessionId}}: the host's id of the media session (e.g. a WebRTC session)
 * @param codec           {@code {codec}}: the file's codecs, joined with '+'
 * @param videoCodec      {@code {videoCodec}}: the codec of the file's first video track (empty when none)
 * @param audioCodec      {@code {audioCodec}}: the codec of the file's first audio track (empty when none)
 * @param startTime       media time of the segment's start, as wall clock ({@code {startTime}} and the date parts)
 * @param endTime         media time of the segment's end ({@code {endTime}}), null while it is being written
 * @param startTimeMillis server clock when the segment was opened ({@code {startTimeMillis}})
 * @param endTimeMillis   server clock when the segment was closed ({@code {endTimeMillis}}), negative while open
 * @param durationMicros  media duration ({@code {duration}}, rendered in whole milliseconds), negative while open
 * @param index           segment number from 1 ({@code {index}}); 0 or negative means numbering is off
 */
public record NameValues(String stream, String room, String track, String ssrc, String participant, String sessionId,
                         String mediaSessionId, String codec, String videoCodec, String audioCodec, Instant startTime,
                         Instant endTime, long startTimeMillis, long endTimeMillis, long durationMicros, int index) {

    public NameValues {
        java.util.Objects.requireNonNull(startTime, "startTime");
    }

    /** Whether the end values are known (the segment is closed). */
    public boolean ended() {
        return endTime != null && endTimeMillis >= 0 && durationMicros >= 0;
    }

    /**
     * These values at the end of the segment: {@code endTime = startTime + duration} (media time), and
     * {@code endTimeMillis} from the server clock.
     */
    public NameValues end(long durationMicros, long endTimeMillis) {
        return new NameValues(stream, room, track, ssrc, participant, sessionId, mediaSessionId, codec, videoCodec,
                audioCodec, startTime, startTime.plusNanos(durationMicros * 1000), startTimeMillis, endTimeMillis,
                durationMicros, index);
    }

    public static Builder builder(Instant startTime) {
        return new Builder(startTime);
    }

    /** Builds values; everything not set is empty / unknown. */
    public static final class Builder {
        private String stream = "";
        private String room = "";
        private String track = "";
        private String ssrc = "";
        private String participant = "";
        private String sessionId = "";
        private String mediaSessionId = "";
        private String codec = "";
        private String videoCodec = "";
        private String audioCodec = "";
        private final Instant startTime;
        private Instant endTime;
        private long startTimeMillis;
        private long endTimeMillis = -1;
        private long durationMicros = -1;
        private int index;

        private Builder(Instant startTime) {
            this.startTime = java.util.Objects.requireNonNull(startTime);
            this.startTimeMillis = startTime.toEpochMilli();
        }

        public Builder stream(String v) { stream = v; return this; }
        public Builder room(String v) { room = v; return this; }
        public Builder track(String v) { track = v; return this; }
        public Builder ssrc(String v) { ssrc = v; return this; }
        public Builder participant(String v) { participant = v; return this; }
        public Builder sessionId(String v) { sessionId = v; return this; }
        public Builder mediaSessionId(String v) { mediaSessionId = v; return this; }
        public Builder codec(String v) { codec = v; return this; }
        public Builder videoCodec(String v) { videoCodec = v; return this; }
        public Builder audioCodec(String v) { audioCodec = v; return this; }
        public Builder startTimeMillis(long v) { startTimeMillis = v; return this; }
        public Builder index(int v) { index = v; return this; }

        /** End values: media end time, server-clock end and media duration. */
        public Builder end(Instant endTime, long endTimeMillis, long durationMicros) {
            this.endTime = endTime;
            this.endTimeMillis = endTimeMillis;
            this.durationMicros = durationMicros;
            return this;
        }

        public NameValues build() {
            return new NameValues(stream, room, track, ssrc, participant, sessionId, mediaSessionId, codec,
                    videoCodec, audioCodec, startTime, endTime, startTimeMillis, endTimeMillis, durationMicros, index);
        }
    }
}
