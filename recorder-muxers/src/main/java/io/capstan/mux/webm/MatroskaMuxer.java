package io.capstan.mux.webm;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.OpusPackets;
import io.capstan.mux.common.OutputWriter;
import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Writes WebM or Matroska (RFC 9559; WebM container guidelines) with SimpleBlocks, one frame per block.
 *
 * <pre>
 * EBML header                 DocType webm | matroska, DocTypeVersion 4, DocTypeReadVersion 2
 * Segment                     size unknown (0x01FFFFFFFFFFFFFF) while recording, patched on close
 * ├── SeekHead + Void         fixed reserved space; Info and Tracks at once, Cues added on close
 * ├── Info                    TimestampScale 1 ms, Duration (a Void placeholder until close), Muxing/WritingApp
 * ├── Tracks                  TrackEntry per track (TrackNumber = index + 1, TrackUID = TrackNumber)
 * ├── Void                    reserved for the Cues (Options.cuesReserveBytes); Cues + a smaller Void on close
 * ├── Cluster*                8-octet size, unknown while the cluster is open, patched when it closes
 * │   ├── Timestamp           ms; block timestamps are int16 relative to it
 * │   └── SimpleBlock*        track VINT | int16 relative timestamp | flags (0x80 keyframe) | frame
 * └── (Cues)                  here instead when they do not fit the reserve
 * Cues: a CuePoint per cluster starting with a video keyframe (audio-only: every cluster)
 * </pre>
 *
 * <h2>Clusters</h2>
 * With video, a cluster starts at every video keyframe (so every cluster is a seek point). A cluster is also
 * closed when it reaches {@link Options#maxClusterMillis()} or {@link Options#maxClusterBytes()}, or when a block
 * timestamp would not fit the signed 16-bit relative field; such a cluster then starts with whatever frame comes
 * next and still plays (it just gets no cue). Video frames before a track's first keyframe are dropped (a player
 * could not decode them), so the first video block is always a keyframe.
 *
 * <h2>Crash safety</h2>
 * Frames go to the output as they come (through a small write buffer; {@link #flush()} drains it). Only the
 * Segment and the open cluster have unknown sizes, which readers handle by reading up to the next top-level
 * element or the end of the file; so a file cut off at any point plays up to its last written block.
 *
 * <h2>Timestamps</h2>
 * Block timestamps are {@code ptsMicros} rounded to milliseconds. Within a track they never repeat or go back:
 * a frame whose rounded timestamp is not after the previous one's is written 1 ms after it. Frames of different
 * tracks may arrive slightly out of order; a block may precede its cluster's timestamp (negative relative
 * timestamp). Opus blocks carry the RTP-timeline time of the packet; CodecDelay (the OpusHead pre-skip) tells
 * the player to drop the encoder lookahead, as the Matroska Opus mapping says.
 */
public final class MatroskaMuxer implements Muxer {

    /**
     * Cluster limits, and the space reserved in front of the first cluster for the Cues: when the index fits
     * there (16 KiB hold about 900 cue points, 15 minutes at one keyframe every second) readers find it without
     * reading to the end of the file; otherwise it goes after the last cluster and the reserve stays a Void.
     */
    public record Options(long maxClusterMillis, long maxClusterBytes, int cuesReserveBytes) {
        public static final Options DEFAULT = new Options(5_000, 5L * 1024 * 1024, 16 * 1024);

        public Options {
            if (maxClusterMillis <= 0 || maxClusterMillis > 32_000 || maxClusterBytes <= 0) {
                throw new IllegalArgumentException("cluster limits must be positive (and at most 32 s)");
            }
            if (cuesReserveBytes != 0 && cuesReserveBytes < 16) {
                throw new IllegalArgumentException("cues reserve must be 0 or at least 16 bytes");
            }
        }

        public Options(long maxClusterMillis, long maxClusterBytes) {
            this(maxClusterMillis, maxClusterBytes, DEFAULT.cuesReserveBytes());
        }
    }

    /** Space kept after the EBML header for the SeekHead (and the Void that pads it). */
    static final int SEEK_HEAD_RESERVED = 96;
    static final int DURATION_ELEMENT_SIZE = 11; // id 2 + size 1 + float64 8
    static final String APP = "Capstan";

    private static final class Track {
        final int number;
        final TrackFormat format;
        final boolean video;
        long firstTs = Long.MIN_VALUE;
        long lastTs = Long.MIN_VALUE;
        long lastDurationMs;
        long minIntervalMs = Long.MAX_VALUE;
        long count;
        boolean seenKeyframe;

        Track(int number, TrackFormat format) {
            this.number = number;
            this.format = format;
            this.video = format.codec().isVideo();
        }
    }

    private final OutputWriter out;
    private final DocType docType;
    private final Options options;
    private final List<Track> tracks = new ArrayList<>();
    private final ByteBuilder scratch = new ByteBuilder(256);
    private final byte[] blockHeader = new byte[16];

    private boolean headerWritten;
    private boolean closed;
    private boolean hasVideo;
    private long segmentSizePos;
    private long segmentDataStart;
    private long seekHeadPos;
    private long infoPos;
    private long durationPos;
    private long tracksPos;
    private long cuesReservePos = -1;

    private boolean clusterOpen;
    private long clusterPos;
    private long clusterTs;
    private long clusterDataStart;

    private long[] cueTimes = new long[64];
    private long[] cuePositions = new long[64];
    private int[] cueTracks = new int[64];
    private int cues;

    private long frames;
    private long droppedBeforeKeyframe;
    private long clusters;

    public MatroskaMuxer(SeekableOutput out, DocType docType, Options options) {
        this.out = new OutputWriter(Objects.requireNonNull(out, "out"), OutputWriter.DEFAULT_BUFFER);
        this.docType = Objects.requireNonNull(docType, "docType");
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public int addTrack(TrackFormat format) {
        Objects.requireNonNull(format, "format");
        if (headerWritten) {
            throw new IllegalStateException("addTrack after the first write");
        }
        if (!docType.allows(format.codec())) {
            throw new IllegalArgumentException(docType.docTypeName() + " cannot hold " + format.codec()
                    + " (WebM allows VP8, VP9, AV1, Opus); use --container mkv");
        }
        if (tracks.size() >= 126) {
            throw new IllegalStateException("too many tracks");
        }
        tracks.add(new Track(tracks.size() + 1, format));
        return tracks.size() - 1;
    }

    @Override
    public void write(int track, EncodedFrame frame) throws IOException {
        if (closed) {
            throw new IllegalStateException("muxer is closed");
        }
        if (track < 0 || track >= tracks.size()) {
            throw new IllegalArgumentException("unknown track " + track);
        }
        writeHeaderOnce();
        Track t = tracks.get(track);
        boolean key = !t.video || frame.keyframe();
        if (t.video && !t.seenKeyframe) {
            if (!key) {
                droppedBeforeKeyframe++;
                return;
            }
            t.seenKeyframe = true;
        }
        long ts = Math.floorDiv(frame.ptsMicros() + 500, 1000);
        if (t.lastTs != Long.MIN_VALUE && ts <= t.lastTs) {
            ts = t.lastTs + 1;
        }
        boolean startsCluster = !clusterOpen
                || (hasVideo && t.video && key)
                || ts - clusterTs >= options.maxClusterMillis()
                || out.position() - clusterDataStart >= options.maxClusterBytes()
                || ts - clusterTs > Short.MAX_VALUE || ts - clusterTs < Short.MIN_VALUE;
        if (startsCluster) {
            closeCluster();
            openCluster(ts);
            if (hasVideo ? (t.video && key) : true) {
                addCue(ts, t.number, clusterPos - segmentDataStart);
            }
        }
        writeSimpleBlock(t.number, (int) (ts - clusterTs), key, frame.array(), frame.length());
        if (t.lastTs != Long.MIN_VALUE) {
            t.minIntervalMs = Math.min(t.minIntervalMs, ts - t.lastTs);
        }
        t.lastDurationMs = durationMs(t, frame, ts);
        if (t.firstTs == Long.MIN_VALUE) {
            t.firstTs = ts;
        }
        t.lastTs = ts;
        t.count++;
        frames++;
    }

    /**
     * How long a frame lasts, for the Duration of the file: known for audio; for video the shortest interval
     * between frames so far (one frame period). Not the mean: after frames dropped for loss (a GOP waiting for its
     * keyframe) the mean spans the gap and the Duration would claim media past the last frame.
     */
    private static long durationMs(Track t, EncodedFrame f, long ts) {
        TrackFormat fmt = t.format;
        return switch (fmt.codec()) {
            case OPUS -> Math.max(0, OpusPackets.packetSamples(f.array(), 0, f.length())) / 48;
            case PCMU, PCMA -> f.length() * 1000L / MatroskaCodecs.channels(fmt) / MatroskaCodecs.sampleRate(fmt);
            case AAC -> 1024_000L / MatroskaCodecs.sampleRate(fmt);
            default -> t.minIntervalMs != Long.MAX_VALUE ? t.minIntervalMs : 0;
        };
    }

    private void writeSimpleBlock(int trackNumber, int relTs, boolean key, byte[] data, int len) throws IOException {
        // RFC 9559 section 10.2 (SimpleBlock): track number VINT, int16 timestamp, flags, then the frame
        long payload = 4L + len;
        int n = Ebml.sizeLength(payload);
        int i = 0;
        blockHeader[i++] = (byte) Ebml.SIMPLE_BLOCK;
        long vint = payload | (1L << (7 * n));
        for (int k = n - 1; k >= 0; k--) {
            blockHeader[i++] = (byte) (vint >>> (8 * k));
        }
        blockHeader[i++] = (byte) (0x80 | trackNumber);   // track number as 1-octet VINT
        blockHeader[i++] = (byte) (relTs >> 8);
        blockHeader[i++] = (byte) relTs;
        blockHeader[i++] = (byte) (key ? 0x80 : 0x00);    // keyframe flag, no lacing
        out.whole(i + len); // a crash leaves whole blocks only
        out.write(blockHeader, 0, i);
        out.write(data, 0, len);
    }

    private void openCluster(long ts) throws IOException {
        clusterPos = out.position();
        scratch.reset();
        Ebml.id(scratch, Ebml.CLUSTER);
        scratch.uBE(Ebml.UNKNOWN_SIZE_8, 8);
        clusterDataStart = clusterPos + scratch.length();
        Ebml.uint(scratch, Ebml.TIMESTAMP, ts);
        out.write(scratch);
        clusterTs = ts;
        clusterOpen = true;
        clusters++;
    }

    private void closeCluster() throws IOException {
        if (!clusterOpen) {
            return;
        }
        clusterOpen = false;
        long size = out.position() - clusterDataStart;
        scratch.reset().uBE(Ebml.size8(size), 8);
        out.patch(clusterDataStart - 8, scratch.array(), 0, 8);
    }

    private void addCue(long ts, int track, long clusterPosition) {
        if (cues > 0 && cueTimes[cues - 1] == ts) {
            return;
        }
        if (cues == cueTimes.length) {
            cueTimes = Arrays.copyOf(cueTimes, cues * 2);
            cuePositions = Arrays.copyOf(cuePositions, cues * 2);
            cueTracks = Arrays.copyOf(cueTracks, cues * 2);
        }
        cueTimes[cues] = ts;
        cuePositions[cues] = clusterPosition;
        cueTracks[cues] = track;
        cues++;
    }

    private void writeHeaderOnce() throws IOException {
        if (headerWritten) {
            return;
        }
        headerWritten = true;
        hasVideo = tracks.stream().anyMatch(t -> t.video);
        ByteBuilder b = new ByteBuilder(1024);
        long base = out.position();

        ByteBuilder c = new ByteBuilder(64);
        Ebml.uint(c, Ebml.EBML_VERSION, 1);
        Ebml.uint(c, Ebml.EBML_READ_VERSION, 1);
        Ebml.uint(c, Ebml.EBML_MAX_ID_LENGTH, 4);
        Ebml.uint(c, Ebml.EBML_MAX_SIZE_LENGTH, 8);
        Ebml.string(c, Ebml.DOC_TYPE, docType.docTypeName());
        Ebml.uint(c, Ebml.DOC_TYPE_VERSION, 4);      // CodecDelay/SeekPreRoll are version 4 elements
        Ebml.uint(c, Ebml.DOC_TYPE_READ_VERSION, 2); // SimpleBlock needs a version 2 reader
        Ebml.master(b, Ebml.EBML, c);

        Ebml.id(b, Ebml.SEGMENT);
        segmentSizePos = base + b.length();
        b.uBE(Ebml.UNKNOWN_SIZE_8, 8);
        segmentDataStart = base + b.length();

        seekHeadPos = segmentDataStart;
        int seekHeadAt = b.length();
        b.ensure(SEEK_HEAD_RESERVED);
        b.setLength(seekHeadAt + SEEK_HEAD_RESERVED); // filled below, once Info and Tracks have positions

        infoPos = base + b.length();
        c.reset();
        Ebml.uint(c, Ebml.TIMESTAMP_SCALE, 1_000_000);   // 1 ms
        int durationAt = c.length();
        Ebml.voidElement(c, DURATION_ELEMENT_SIZE);      // becomes Duration on close
        Ebml.string(c, Ebml.MUXING_APP, APP);
        Ebml.string(c, Ebml.WRITING_APP, APP);
        Ebml.id(b, Ebml.INFO);
        Ebml.size(b, c.length());
        durationPos = base + b.length() + durationAt;
        b.bytes(c.array(), 0, c.length());

        tracksPos = base + b.length();
        c.reset();
        for (Track t : tracks) {
            c.bytes(trackEntry(t).toByteArray());
        }
        Ebml.master(b, Ebml.TRACKS, c);

        if (options.cuesReserveBytes() > 0) {
            cuesReservePos = base + b.length();
            Ebml.voidElement(b, options.cuesReserveBytes());
        }

        ByteBuilder seekHead = seekHead(-1);
        System.arraycopy(seekHead.array(), 0, b.array(), seekHeadAt, seekHead.length());
        out.write(b);
    }

    private ByteBuilder trackEntry(Track t) {
        TrackFormat f = t.format;
        ByteBuilder c = new ByteBuilder(128);
        Ebml.uint(c, Ebml.TRACK_NUMBER, t.number);
        Ebml.uint(c, Ebml.TRACK_UID, t.number);          // deterministic, unique within the file
        Ebml.uint(c, Ebml.TRACK_TYPE, t.video ? 1 : 2);  // 1 video, 2 audio
        Ebml.uint(c, Ebml.FLAG_ENABLED, 1);
        Ebml.uint(c, Ebml.FLAG_DEFAULT, 1);
        Ebml.uint(c, Ebml.FLAG_LACING, 0);
        Ebml.string(c, Ebml.CODEC_ID, MatroskaCodecs.codecId(f.codec()));
        byte[] priv = MatroskaCodecs.codecPrivate(f);
        if (priv.length > 0) {
            Ebml.binary(c, Ebml.CODEC_PRIVATE, priv);
        }
        if (f.codec() == Codec.OPUS) {
            // Matroska Opus mapping: CodecDelay = pre-skip in ns, SeekPreRoll = 80 ms
            Ebml.uint(c, Ebml.CODEC_DELAY, OpusPackets.preSkip(priv) * 1_000_000_000L / 48_000);
            Ebml.uint(c, Ebml.SEEK_PRE_ROLL, OpusPackets.SEEK_PRE_ROLL_NS);
        }
        ByteBuilder m = new ByteBuilder(32);
        if (t.video) {
            if (f.width() > 0 && f.height() > 0) {
                Ebml.uint(m, Ebml.PIXEL_WIDTH, f.width());
                Ebml.uint(m, Ebml.PIXEL_HEIGHT, f.height());
                Ebml.master(c, Ebml.VIDEO, m);
            }
        } else {
            Ebml.float64(m, Ebml.SAMPLING_FREQUENCY, MatroskaCodecs.sampleRate(f));
            Ebml.uint(m, Ebml.CHANNELS, MatroskaCodecs.channels(f));
            if (f.codec() == Codec.PCMU || f.codec() == Codec.PCMA) {
                Ebml.uint(m, Ebml.BIT_DEPTH, 8);
            }
            Ebml.master(c, Ebml.AUDIO, m);
        }
        ByteBuilder e = new ByteBuilder(c.length() + 8);
        Ebml.master(e, Ebml.TRACK_ENTRY, c);
        return e;
    }

    /** SeekHead for Info, Tracks and (when {@code cuesPos >= 0}) Cues, padded with Void to the reserved size. */
    private ByteBuilder seekHead(long cuesPos) {
        ByteBuilder c = new ByteBuilder(80);
        seek(c, Ebml.INFO, infoPos - segmentDataStart);
        seek(c, Ebml.TRACKS, tracksPos - segmentDataStart);
        if (cuesPos >= 0) {
            seek(c, Ebml.CUES, cuesPos - segmentDataStart);
        }
        ByteBuilder b = new ByteBuilder(SEEK_HEAD_RESERVED);
        Ebml.master(b, Ebml.SEEK_HEAD, c);
        Ebml.voidElement(b, SEEK_HEAD_RESERVED - b.length());
        return b;
    }

    private static void seek(ByteBuilder b, int id, long position) {
        ByteBuilder s = new ByteBuilder(24);
        ByteBuilder idBytes = new ByteBuilder(4);
        Ebml.id(idBytes, id);
        Ebml.binary(s, Ebml.SEEK_ID, idBytes.toByteArray());
        Ebml.uintFixed(s, Ebml.SEEK_POSITION, position, 8);
        Ebml.master(b, Ebml.SEEK, s);
    }

    @Override
    public void flush() throws IOException {
        if (!closed) {
            out.drain();
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (tracks.isEmpty()) {
            out.drain();
            return;
        }
        writeHeaderOnce();
        closeCluster();
        long cuesPos = -1;
        if (cues > 0) {
            ByteBuilder all = new ByteBuilder(cues * 24 + 16);
            ByteBuilder cp = new ByteBuilder(32);
            ByteBuilder tp = new ByteBuilder(24);
            ByteBuilder point = new ByteBuilder(32);
            for (int i = 0; i < cues; i++) {
                tp.reset();
                Ebml.uint(tp, Ebml.CUE_TRACK, cueTracks[i]);
                Ebml.uint(tp, Ebml.CUE_CLUSTER_POSITION, cuePositions[i]);
                cp.reset();
                Ebml.uint(cp, Ebml.CUE_TIME, cueTimes[i]);
                Ebml.master(cp, Ebml.CUE_TRACK_POSITIONS, tp);
                point.reset();
                Ebml.master(point, Ebml.CUE_POINT, cp);
                all.bytes(point.array(), 0, point.length());
            }
            scratch.reset();
            Ebml.master(scratch, Ebml.CUES, all);
            int reserve = options.cuesReserveBytes();
            if (cuesReservePos >= 0 && (scratch.length() == reserve || scratch.length() + 2 <= reserve)) {
                cuesPos = cuesReservePos;
                if (scratch.length() < reserve) {
                    Ebml.voidElement(scratch, reserve - scratch.length());
                }
                out.patch(cuesReservePos, scratch.array(), 0, scratch.length());
            } else {
                cuesPos = out.position();
                out.write(scratch);
            }
        }
        long end = out.position();
        scratch.reset().uBE(Ebml.size8(end - segmentDataStart), 8);
        out.patch(segmentSizePos, scratch.array(), 0, 8);
        ByteBuilder sh = seekHead(cuesPos);
        out.patch(seekHeadPos, sh.array(), 0, sh.length());
        scratch.reset();
        Ebml.float64(scratch, Ebml.DURATION, durationMillis());
        out.patch(durationPos, scratch.array(), 0, scratch.length());
        out.drain();
    }

    /** End of the last frame of any track, in ms on the segment timeline. */
    long durationMillis() {
        long end = 0;
        for (Track t : tracks) {
            if (t.lastTs != Long.MIN_VALUE) {
                end = Math.max(end, t.lastTs + t.lastDurationMs);
            }
        }
        return end;
    }

    @Override
    public long bytesWritten() {
        return out.position();
    }

    @Override
    public long framesWritten() {
        return frames;
    }

    /** Video frames dropped because their track had not had a keyframe yet. */
    public long droppedBeforeKeyframe() {
        return droppedBeforeKeyframe;
    }

    public long clustersWritten() {
        return clusters;
    }

    public int cuePoints() {
        return cues;
    }
}
