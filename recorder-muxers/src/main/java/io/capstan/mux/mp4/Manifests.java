package io.capstan.mux.mp4;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * Text of the manifests that describe a segmented recording: the DASH MPD (ISO/IEC 23009-1, live profile with a
 * {@code SegmentTemplate} and an explicit {@code SegmentTimeline}) and the HLS media playlist (RFC 8216, fMP4
 * segments with {@code EXT-X-MAP}). Pure functions of what was written, so they can be regenerated after every
 * segment and once more, static, when the recording ends.
 */
final class Manifests {

    private Manifests() {
    }

    /** Start times and durations of a track's segments, run-length coded as DASH {@code <S t d r>} entries. */
    static final class Timeline {
        private long[] t = new long[16];
        private long[] d = new long[16];
        private int[] r = new int[16];
        private int runs;
        private long end;
        private int segments;

        /** Adds a segment starting at {@code start} lasting {@code duration} ticks. */
        void add(long start, long duration) {
            if (runs > 0 && d[runs - 1] == duration && start == end) {
                r[runs - 1]++;
            } else {
                if (runs == t.length) {
                    t = java.util.Arrays.copyOf(t, runs * 2);
                    d = java.util.Arrays.copyOf(d, runs * 2);
                    r = java.util.Arrays.copyOf(r, runs * 2);
                }
                t[runs] = start;
                d[runs] = duration;
                r[runs] = 0;
                runs++;
            }
            end = start + duration;
            segments++;
        }

        int segments() {
            return segments;
        }

        long end() {
            return end;
        }

        long start() {
            return runs == 0 ? 0 : t[0];
        }

        void xml(StringBuilder sb, String indent) {
            sb.append(indent).append("<SegmentTimeline>\n");
            long expected = Long.MIN_VALUE;
            for (int i = 0; i < runs; i++) {
                sb.append(indent).append("  <S");
                if (t[i] != expected) {
                    sb.append(" t=\"").append(t[i]).append('"'); // ISO/IEC 23009-1 5.3.9.6: t only where not contiguous
                }
                sb.append(" d=\"").append(d[i]).append('"');
                if (r[i] > 0) {
                    sb.append(" r=\"").append(r[i]).append('"');
                }
                sb.append("/>\n");
                expected = t[i] + d[i] * (r[i] + 1L);
            }
            sb.append(indent).append("</SegmentTimeline>\n");
        }
    }

    /** One DASH Representation (each in its own AdaptationSet). */
    record Representation(String id, boolean video, String codecs, int width, int height, int sampleRate,
                          int channels, int timescale, String initialization, String media, long bandwidth,
                          Timeline timeline) {
    }

    /**
     * The MPD. {@code dynamic} while recording (players poll it: {@code minimumUpdatePeriod}), static with the
     * whole {@code mediaPresentationDuration} once the recording is complete.
     */
    static String mpd(List<Representation> reps, boolean dynamic, Instant availabilityStart, Instant published,
                      double durationSeconds, double maxSegmentSeconds) {
        StringBuilder sb = new StringBuilder(1024);
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" profiles=\"urn:mpeg:dash:profile:isoff-live:2011\"");
        if (dynamic) {
            sb.append(" type=\"dynamic\" availabilityStartTime=\"").append(iso(availabilityStart)).append('"')
                    .append(" publishTime=\"").append(iso(published)).append('"')
                    .append(" minimumUpdatePeriod=\"").append(duration(Math.max(1, maxSegmentSeconds))).append('"');
        } else {
            // whole seconds, rounded to the nearest: ffmpeg's dashdec reads the duration as an integer number of
            // seconds (it would truncate PT7.957S to 7 s); the SegmentTimeline keeps the exact times, and players
            // stop at the last segment's end
            sb.append(" type=\"static\" mediaPresentationDuration=\"")
                    .append(duration(Math.max(1, Math.round(durationSeconds)))).append('"');
        }
        sb.append(" minBufferTime=\"").append(duration(Math.max(1, maxSegmentSeconds))).append("\">\n");
        sb.append("  <Period id=\"0\" start=\"PT0S\">\n");
        int set = 0;
        for (Representation r : reps) {
            sb.append("    <AdaptationSet id=\"").append(set++).append("\" contentType=\"")
                    .append(r.video() ? "video" : "audio").append("\" mimeType=\"")
                    .append(r.video() ? "video/mp4" : "audio/mp4").append("\" segmentAlignment=\"true\">\n");
            sb.append("      <Representation id=\"").append(r.id()).append("\" codecs=\"").append(r.codecs())
                    .append("\" bandwidth=\"").append(Math.max(1, r.bandwidth())).append('"');
            if (r.video()) {
                if (r.width() > 0 && r.height() > 0) {
                    sb.append(" width=\"").append(r.width()).append("\" height=\"").append(r.height()).append('"');
                }
            } else {
                sb.append(" audioSamplingRate=\"").append(r.sampleRate()).append('"');
            }
            sb.append(">\n");
            if (!r.video() && r.channels() > 0) {
                sb.append("        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\"")
                        .append(" value=\"").append(r.channels()).append("\"/>\n");
            }
            sb.append("        <SegmentTemplate timescale=\"").append(r.timescale()).append("\" initialization=\"")
                    .append(r.initialization()).append("\" media=\"").append(r.media()).append("\" startNumber=\"1\">\n");
            r.timeline().xml(sb, "          ");
            sb.append("        </SegmentTemplate>\n");
            sb.append("      </Representation>\n");
            sb.append("    </AdaptationSet>\n");
        }
        sb.append("  </Period>\n");
        sb.append("</MPD>\n");
        return sb.toString();
    }

    /**
     * An HLS media playlist of fMP4 segments. The init section is the first {@code initLength} bytes of the first
     * segment's object (RFC 8216 4.3.2.5 EXT-X-MAP with BYTERANGE) and the first segment the rest of it
     * (4.3.2.2 EXT-X-BYTERANGE); later segments are whole objects.
     * While recording it is an {@code EVENT} playlist (segments are only added); {@code ended} adds
     * {@code EXT-X-ENDLIST}.
     *
     * @param firstLength the first segment's length after the init section
     * @param entries     the segments so far
     */
    static String m3u8(long initLength, long firstLength, HlsEntries entries, boolean ended) {
        StringBuilder sb = new StringBuilder(256 + entries.text.length());
        sb.append("#EXTM3U\n");
        sb.append("#EXT-X-VERSION:7\n");                                   // RFC 8216 7: EXT-X-MAP in a media playlist
        // RFC 8216 4.3.3.1: every EXTINF rounded to the nearest integer must be <= the target duration
        sb.append("#EXT-X-TARGETDURATION:").append(Math.max(1, Math.round(entries.max))).append('\n');
        sb.append("#EXT-X-MEDIA-SEQUENCE:0\n");
        sb.append("#EXT-X-PLAYLIST-TYPE:EVENT\n");
        sb.append("#EXT-X-INDEPENDENT-SEGMENTS\n");                        // 4.3.5.1: every segment starts with a keyframe
        if (entries.first != null) {
            sb.append("#EXT-X-MAP:URI=\"").append(entries.first).append("\",BYTERANGE=\"").append(initLength)
                    .append("@0\"\n");
            sb.append("#EXTINF:").append(entries.firstSeconds).append(",\n");
            sb.append("#EXT-X-BYTERANGE:").append(firstLength).append('@').append(initLength).append('\n');
            sb.append(entries.first).append('\n');
        }
        sb.append(entries.text);
        if (ended) {
            sb.append("#EXT-X-ENDLIST\n");
        }
        return sb.toString();
    }

    /**
     * The segment lines of an HLS playlist, kept as text and only appended to, so rewriting the playlist after a
     * segment costs one copy of it rather than formatting every line again.
     */
    static final class HlsEntries {
        private final StringBuilder text = new StringBuilder(1024);
        private String first;
        private String firstSeconds;
        private double max;

        void add(String name, double seconds) {
            String extinf = String.format(Locale.ROOT, "%.3f", seconds);
            if (first == null) {
                first = name;
                firstSeconds = extinf;
            } else {
                text.append("#EXTINF:").append(extinf).append(",\n").append(name).append('\n');
            }
            max = Math.max(max, seconds);
        }
    }

    static String iso(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** xs:duration with millisecond precision, e.g. PT8.016S. */
    static String duration(double seconds) {
        return String.format(Locale.ROOT, "PT%.3fS", Math.max(0, seconds));
    }
}
