package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.OutputWriter;
import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SegmentOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Writes a recording as CMAF-style fragmented MP4 segments plus a manifest, every piece a separate object of an
 * {@link ObjectGroup} (a directory on a file system, a key prefix in object storage):
 * <pre>
 * DASH (one stream per track)                  HLS (one stream of muxed segments)
 * NAME.mpd          dynamic, then static       NAME.m3u8         EVENT playlist, EXT-X-ENDLIST at the end
 * init.m4s          ftyp + moov (mvex)         seg_0001.m4s      ftyp + moov of every track (the EXT-X-MAP
 * seg_0001.m4s      moof + mdat                                  init section, a byte range), then moof + mdat
 * audio_init.m4s    the audio track's init     seg_0002.m4s      moof + mdat, one traf per track
 * audio_seg_0001.m4s
 * </pre>
 * The HLS init section opens the first segment's object rather than an object of its own, so that object is a
 * complete fragmented MP4 for tools that read a playlist's files without following EXT-X-MAP (MediaInfo).
 * Either way every segment is a separate object committed as soon as it is complete, so both manifests can be
 * followed live while the recording runs (RFC 8216 4.3.2.5 EXT-X-MAP, 6.2.1 EVENT playlists).
 * The boxes are those of {@link Mp4Muxer}'s fragments ({@link InitSegment}, {@link FragmentWriter}): each track's
 * timescale is its RTP clock, durations are RTP timestamp differences, and a track's first {@code tfdt} is where
 * it starts on the recording's timeline, so audio and video stay in sync across representations.
 *
 * <p>A segment is closed at the first video keyframe at least {@link Options#segmentMillis()} after its start
 * (so segments start with a sync sample, {@code startWithSAP}); when the sender sends keyframes rarely it is
 * closed on time after {@link Options#maxSegmentMillis()} anyway, as a recorder must not hold minutes of media.
 * Streams without video are cut every {@code segmentMillis}. Each segment is committed as soon as it is complete and
 * the manifest is replaced after it (atomically), so the manifest only ever names segments that exist; a crash
 * loses the segment in progress only. The manifest lists every segment of the recording (its text grows by a few
 * bytes per segment; the DASH timeline is run-length coded).
 */
public final class SegmentedMp4Muxer implements Muxer {

    /** DASH (MPD, one adaptation set per track) or HLS (a media playlist of muxed segments). */
    public enum Kind {
        DASH("mpd"),
        HLS("m3u8");

        private final String extension;

        Kind(String extension) {
            this.extension = extension;
        }

        public String extension() {
            return extension;
        }
    }

    /**
     * @param segmentMillis    target segment length: a segment ends at the first keyframe after it
     * @param maxSegmentMillis a segment ends on time after this much media even without a keyframe
     * @param clock            wall clock for the manifest's availability and publish times and the init segments
     */
    public record Options(long segmentMillis, long maxSegmentMillis, InstantSource clock) {
        public static final Options DEFAULT = new Options(2000, 6000, InstantSource.system());

        public Options {
            if (segmentMillis < 200 || maxSegmentMillis < segmentMillis || maxSegmentMillis > 60_000) {
                throw new IllegalArgumentException("need 200 <= segmentMillis <= maxSegmentMillis <= 60000: "
                        + segmentMillis + ", " + maxSegmentMillis);
            }
            Objects.requireNonNull(clock, "clock");
        }

        public Options withClock(InstantSource c) {
            return new Options(segmentMillis, maxSegmentMillis, c);
        }
    }

    /** One sequence of segments: one track (DASH) or all tracks (HLS). */
    private final class Stream {
        final List<Track> tracks = new ArrayList<>();
        final String prefix;
        final FragmentWriter fragments = new FragmentWriter();
        final Manifests.Timeline timeline = new Manifests.Timeline();
        final Manifests.HlsEntries entries = new Manifests.HlsEntries();
        double maxSeconds;
        long segmentStartPts = Long.MIN_VALUE;
        long stagedBytes;
        long bytes;
        long peakBitsPerSecond;
        boolean initWritten;
        long initLength;  // HLS: the init section's length at the start of seg_0001.m4s
        long firstLength; // HLS: the first segment's length after it

        Stream(String prefix) {
            this.prefix = prefix;
        }

        boolean hasVideo() {
            for (Track t : tracks) {
                if (t.video) {
                    return true;
                }
            }
            return false;
        }

        /** The track whose time the manifest uses: the first video track, else the first track. */
        Track clockTrack() {
            for (Track t : tracks) {
                if (t.video) {
                    return t;
                }
            }
            return tracks.get(0);
        }
    }

    private final ObjectGroup group;
    private final String manifestName;
    private final Kind kind;
    private final Options options;
    private final List<Track> tracks = new ArrayList<>();
    private final List<Stream> streams = new ArrayList<>();
    private final List<Stream> streamOf = new ArrayList<>();
    private ByteBuffer segmentBuffer = ByteBuffer.allocate(OutputWriter.DEFAULT_BUFFER); // reused by every segment
    private final Instant started;
    private boolean closed;
    private IOException failure;
    private long frames;
    private long bytesWritten;
    private long droppedBeforeKeyframe;

    public SegmentedMp4Muxer(ObjectGroup group, String manifestName, Kind kind, Options options) {
        this.group = Objects.requireNonNull(group, "group");
        this.manifestName = Objects.requireNonNull(manifestName, "manifestName");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.options = Objects.requireNonNull(options, "options");
        this.started = options.clock().instant();
        if (!ObjectGroup.NAME.matcher(manifestName).matches()) {
            throw new IllegalArgumentException("bad manifest name: " + manifestName);
        }
    }

    @Override
    public int addTrack(TrackFormat format) {
        Objects.requireNonNull(format, "format");
        if (frames > 0) {
            throw new IllegalStateException("addTrack after the first write");
        }
        Track t = new Track(tracks.size(), format);
        tracks.add(t);
        Stream s;
        if (kind == Kind.HLS) {
            if (streams.isEmpty()) {
                streams.add(new Stream(""));
            }
            s = streams.get(0);
        } else {
            s = new Stream(prefixFor(t));
            streams.add(s);
        }
        s.tracks.add(t);
        streamOf.add(s);
        return t.index;
    }

    /** DASH object names: the first video track unprefixed, the first audio track "audio_", then "video2_"... */
    private String prefixFor(Track t) {
        int same = 0;
        for (Track o : tracks) {
            if (o != t && o.video == t.video) {
                same++;
            }
        }
        if (t.video) {
            return same == 0 ? "" : "video" + (same + 1) + "_";
        }
        return same == 0 ? "audio_" : "audio" + (same + 1) + "_";
    }

    @Override
    public void write(int track, EncodedFrame frame) throws IOException {
        checkWritable();
        Track t = tracks.get(Objects.checkIndex(track, tracks.size()));
        Stream s = streamOf.get(track);
        if (!t.admit(frame)) {
            droppedBeforeKeyframe++;
            return;
        }
        boolean key = !t.video || frame.keyframe();
        long pts = frame.ptsMicros();
        try {
            boolean cut = s.segmentStartPts != Long.MIN_VALUE && endsSegment(s, t, key, pts);
            if (t.holding) {
                // the held frame (the one before this) now has its duration and ends the current segment
                stage(s, t, t.heldDurationUntil(frame));
            } else if (!t.started) {
                t.started = true;
                t.decodeTime = t.ticks(Math.max(0, pts));
            }
            if (cut) {
                emitSegment(s); // this frame (a keyframe, for video) starts the next segment
            }
            t.hold(frame.array(), 0, frame.length(), frame.rtpTimestamp(), pts, key);
            if (s.segmentStartPts == Long.MIN_VALUE) {
                s.segmentStartPts = pts;
            }
            frames++;
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    private boolean endsSegment(Stream s, Track t, boolean key, long pts) {
        long age = pts - s.segmentStartPts;
        if (age >= options.maxSegmentMillis() * 1000 || s.stagedBytes >= Mp4Muxer.MAX_FRAGMENT_BYTES) {
            return true;
        }
        if (age < options.segmentMillis() * 1000) {
            return false;
        }
        // a video stream cuts at its keyframes; an audio-only stream on time
        return s.hasVideo() ? t.video && key : true;
    }

    private static void stage(Stream s, Track t, long duration) {
        s.stagedBytes += t.heldSize;
        t.stageHeld(duration);
    }

    /** Writes the staged samples as the stream's next segment object, then the manifest. */
    private void emitSegment(Stream s) throws IOException {
        if (!FragmentWriter.anyStaged(s.tracks)) {
            return;
        }
        byte[] init = null;
        if (!s.initWritten) {
            init = InitSegment.bytes(s.tracks, options.clock().instant());
            if (kind == Kind.DASH) {
                writeObject(s.prefix + "init.m4s", init, init.length);
                init = null;
            } else {
                s.initLength = init.length; // HLS: the init section opens the first segment's object
            }
            s.initWritten = true;
        }
        Track clock = s.clockTrack();
        long start;
        long duration;
        if (clock.count > 0) {
            start = clock.fragmentBaseTime;
            duration = clock.decodeTime - clock.fragmentBaseTime;
        } else {
            start = s.timeline.end();
            duration = 1;
        }
        String name = s.prefix + String.format("seg_%04d.m4s", s.timeline.segments() + 1);
        long size;
        SegmentOutput o = group.create(name);
        try {
            OutputWriter w = new OutputWriter(o, segmentBuffer);
            if (init != null) {
                w.write(init, 0, init.length);
            }
            s.fragments.write(w, s.tracks, false);
            w.drain();
            size = w.position();
            segmentBuffer = w.buffer();
            o.commit();
        } catch (IOException | RuntimeException e) {
            o.abort();
            throw e;
        }
        s.timeline.add(start, Math.max(1, duration));
        double secs = Math.max(1, duration) / (double) clock.timescale;
        if (init != null) {
            s.firstLength = size - init.length;
        }
        if (kind == Kind.HLS) {
            s.entries.add(name, secs);
        }
        s.maxSeconds = Math.max(s.maxSeconds, secs);
        s.bytes += size;
        bytesWritten += size;
        s.peakBitsPerSecond = Math.max(s.peakBitsPerSecond, (long) (size * 8 / Math.max(0.001, secs)));
        s.segmentStartPts = Long.MIN_VALUE;
        s.stagedBytes = 0;
        writeManifest(false);
    }

    private void writeObject(String name, byte[] data, int len) throws IOException {
        SegmentOutput o = group.create(name);
        try {
            ByteBuffer bb = ByteBuffer.wrap(data, 0, len);
            while (bb.hasRemaining()) {
                o.write(bb);
            }
            o.commit();
        } catch (IOException | RuntimeException e) {
            o.abort();
            throw e;
        }
        bytesWritten += len;
    }

    private void writeManifest(boolean ended) throws IOException {
        String text;
        if (kind == Kind.HLS) {
            Stream s = streams.get(0);
            text = Manifests.m3u8(s.initLength, s.firstLength, s.entries, ended);
        } else {
            List<Manifests.Representation> reps = new ArrayList<>();
            double duration = 0;
            double maxSegment = options.segmentMillis() / 1000.0;
            for (Stream s : streams) {
                if (!s.initWritten) {
                    continue; // no segment yet: the track is not announced before it has media
                }
                Track t = s.tracks.get(0);
                TrackFormat f = t.format;
                reps.add(new Manifests.Representation(s.prefix.isEmpty() ? "video" : s.prefix.substring(0,
                        s.prefix.length() - 1), t.video, CodecStrings.of(f), t.width, t.height,
                        SampleEntries.sampleRate(f), f.channels(), t.timescale, s.prefix + "init.m4s",
                        s.prefix + "seg_$Number%04d$.m4s", s.peakBitsPerSecond, s.timeline));
                duration = Math.max(duration, s.timeline.end() / (double) t.timescale);
                maxSegment = Math.max(maxSegment, s.maxSeconds);
            }
            text = Manifests.mpd(reps, !ended, started, options.clock().instant(), duration, maxSegment);
        }
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        group.replace(manifestName, ByteBuffer.wrap(b));
    }

    /**
     * Nothing to do between segments: a segment is written whole when it is complete (the one in progress is in
     * memory, at most {@link Options#maxSegmentMillis()} of media).
     */
    @Override
    public void flush() {
    }

    /** Carries resolution changes of H.264/H.265 (in-band parameter sets) and VP8/VP9; anything else starts anew. */
    @Override
    public boolean formatChanged(int track, TrackFormat format) {
        Track t = tracks.get(Objects.checkIndex(track, tracks.size()));
        if (format == null || format.equals(t.format)) {
            return true;
        }
        if (format.codec() != t.codec || format.clockRate() != t.timescale) {
            return false;
        }
        Stream s = streamOf.get(track);
        if (!s.initWritten && t.samples == 0 && !t.holding) {
            t.format = format;
            if (format.width() > 0 && format.height() > 0) {
                t.width = format.width();
                t.height = format.height();
            }
            return true;
        }
        if (t.codec == Codec.H264 || t.codec == Codec.H265) {
            t.inBandParameterSets = true;
            return true;
        }
        if (t.codec == Codec.VP9 || t.codec == Codec.VP8) {
            return true;
        }
        return false;
    }

    /** Writes the last segments and the final (static / ended) manifest. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (failure != null || tracks.isEmpty()) {
            return;
        }
        try {
            for (Track t : tracks) {
                if (t.holding) {
                    stage(streamOf.get(t.index), t, t.finalDuration());
                }
            }
            for (Stream s : streams) {
                emitSegment(s);
            }
            writeManifest(true);
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    private void checkWritable() throws IOException {
        if (closed) {
            throw new IllegalStateException("muxer is closed");
        }
        if (failure != null) {
            throw new IOException("segment writer stopped after an earlier output error: " + failure.getMessage(),
                    failure);
        }
    }

    @Override
    public long bytesWritten() {
        return bytesWritten;
    }

    @Override
    public long framesWritten() {
        return frames;
    }

    /** Segments written so far, all streams. */
    public int segmentsWritten() {
        int n = 0;
        for (Stream s : streams) {
            n += s.timeline.segments();
        }
        return n;
    }

    /** Video frames dropped because their track had not had a keyframe yet. */
    public long droppedBeforeKeyframe() {
        return droppedBeforeKeyframe;
    }
}
