package io.capstan.mux.testing;

import org.mp4parser.Box;
import org.mp4parser.IsoFile;
import org.mp4parser.boxes.iso14496.part12.ChunkOffsetBox;
import org.mp4parser.boxes.iso14496.part12.EditListBox;
import org.mp4parser.boxes.iso14496.part12.HandlerBox;
import org.mp4parser.boxes.iso14496.part12.MovieBox;
import org.mp4parser.boxes.iso14496.part12.MovieFragmentBox;
import org.mp4parser.boxes.iso14496.part12.SampleSizeBox;
import org.mp4parser.boxes.iso14496.part12.SampleTableBox;
import org.mp4parser.boxes.iso14496.part12.SampleToChunkBox;
import org.mp4parser.boxes.iso14496.part12.SyncSampleBox;
import org.mp4parser.boxes.iso14496.part12.TimeToSampleBox;
import org.mp4parser.boxes.iso14496.part12.TrackBox;
import org.mp4parser.boxes.iso14496.part12.TrackFragmentBaseMediaDecodeTimeBox;
import org.mp4parser.boxes.iso14496.part12.TrackFragmentBox;
import org.mp4parser.boxes.iso14496.part12.TrackFragmentHeaderBox;
import org.mp4parser.boxes.iso14496.part12.TrackRunBox;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent MP4 reader for tests: isoparser parses the box tree; sample tables (progressive files) or movie
 * fragments (fragmented files, default-base-is-moof) are expanded into samples with file offsets. Also extracts
 * codec configuration boxes byte-exact from the file (to feed real encoder output made by ffmpeg into muxers).
 */
public final class Mp4Reader {

    private Mp4Reader() {
    }

    public record Sample(long offset, int size, long decodeTime, long duration, boolean sync) {
    }

    public record Edit(long segmentDuration, long mediaTime) {
    }

    public record Track(int id, String handler, String entryType, long timescale, double width, double height,
                        long mediaDuration, long trackDuration, List<Edit> edits, List<Sample> samples) {
    }

    /** Top-level box types in file order, the movie timescale and duration, and the tracks. */
    public record Movie(List<String> topLevel, long timescale, long duration, boolean fragmented, List<Track> tracks) {
        public Track track(String handler) {
            return tracks.stream().filter(t -> t.handler().equals(handler)).findFirst().orElseThrow();
        }
    }

    public static Movie read(Path file) throws IOException {
        List<String> top = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); IsoFile iso = new IsoFile(ch)) {
            for (Box b : iso.getBoxes()) {
                top.add(b.getType());
            }
            MovieBox moov = iso.getMovieBox();
            if (moov == null) {
                throw new AssertionError("no moov in " + file + ": " + top);
            }
            boolean fragmented = !moov.getBoxes(org.mp4parser.boxes.iso14496.part12.MovieExtendsBox.class).isEmpty();
            List<Track> tracks = new ArrayList<>();
            Map<Long, List<Sample>> fragSamples = new HashMap<>();
            if (fragmented) {
                long pos = 0;
                for (Box b : iso.getBoxes()) {
                    if (b instanceof MovieFragmentBox moof) {
                        for (TrackFragmentBox traf : moof.getBoxes(TrackFragmentBox.class)) {
                            TrackFragmentHeaderBox tfhd = traf.getTrackFragmentHeaderBox();
                            long t = traf.getBoxes(TrackFragmentBaseMediaDecodeTimeBox.class).get(0)
                                    .getBaseMediaDecodeTime();
                            List<Sample> out = fragSamples.computeIfAbsent(tfhd.getTrackId(), k -> new ArrayList<>());
                            for (TrackRunBox trun : traf.getBoxes(TrackRunBox.class)) {
                                long off = pos + trun.getDataOffset();
                                for (TrackRunBox.Entry e : trun.getEntries()) {
                                    boolean sync = !e.getSampleFlags().isSampleIsDifferenceSample();
                                    out.add(new Sample(off, (int) e.getSampleSize(), t, e.getSampleDuration(), sync));
                                    off += e.getSampleSize();
                                    t += e.getSampleDuration();
                                }
                            }
                        }
                    }
                    pos += b.getSize();
                }
            }
            for (TrackBox trak : moov.getBoxes(TrackBox.class)) {
                long id = trak.getTrackHeaderBox().getTrackId();
                String handler = trak.getMediaBox().getBoxes(HandlerBox.class).get(0).getHandlerType();
                SampleTableBox stbl = trak.getMediaBox().getMediaInformationBox().getSampleTableBox();
                String entry = stbl.getSampleDescriptionBox().getBoxes().get(0).getType();
                List<Edit> edits = new ArrayList<>();
                List<EditListBox> elsts = trak.getBoxes(EditListBox.class, true);
                if (!elsts.isEmpty()) {
                    for (EditListBox.Entry e : elsts.get(0).getEntries()) {
                        edits.add(new Edit(e.getSegmentDuration(), e.getMediaTime()));
                    }
                }
                List<Sample> samples = fragmented ? fragSamples.getOrDefault(id, List.of()) : tableSamples(stbl);
                tracks.add(new Track((int) id, handler, entry, trak.getMediaBox().getMediaHeaderBox().getTimescale(),
                        trak.getTrackHeaderBox().getWidth(), trak.getTrackHeaderBox().getHeight(),
                        trak.getMediaBox().getMediaHeaderBox().getDuration(), trak.getTrackHeaderBox().getDuration(),
                        edits, samples));
            }
            return new Movie(top, moov.getMovieHeaderBox().getTimescale(), moov.getMovieHeaderBox().getDuration(),
                    fragmented, tracks);
        }
    }

    private static List<Sample> tableSamples(SampleTableBox stbl) {
        SampleSizeBox stsz = stbl.getSampleSizeBox();
        long[] chunkOffsets = stbl.getBoxes(ChunkOffsetBox.class).get(0).getChunkOffsets();
        List<SampleToChunkBox.Entry> stsc = stbl.getSampleToChunkBox().getEntries();
        List<TimeToSampleBox.Entry> stts = stbl.getTimeToSampleBox().getEntries();
        SyncSampleBox stss = stbl.getSyncSampleBox();
        long[] sync = stss == null ? null : stss.getSampleNumber();
        int n = (int) stsz.getSampleCount();
        long[] durations = new long[n];
        int k = 0;
        for (TimeToSampleBox.Entry e : stts) {
            for (long i = 0; i < e.getCount() && k < n; i++) {
                durations[k++] = e.getDelta();
            }
        }
        List<Sample> out = new ArrayList<>(n);
        int s = 0;
        long t = 0;
        for (int c = 0; c < chunkOffsets.length; c++) {
            long perChunk = 0;
            for (SampleToChunkBox.Entry e : stsc) {
                if (e.getFirstChunk() <= c + 1) {
                    perChunk = e.getSamplesPerChunk();
                }
            }
            long off = chunkOffsets[c];
            for (int i = 0; i < perChunk && s < n; i++, s++) {
                int size = (int) stsz.getSampleSizeAtIndex(s);
                boolean isSync = sync == null || Arrays.binarySearch(sync, s + 1) >= 0;
                out.add(new Sample(off, size, t, durations[s], isSync));
                off += size;
                t += durations[s];
            }
        }
        return out;
    }

    public static byte[] bytes(Path file, Sample s) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(s.size());
            while (bb.hasRemaining() && ch.read(bb, s.offset() + bb.position()) > 0) {
                // read fully
            }
            return bb.array();
        }
    }

    /**
     * The content (after the 8-byte header) of the first box of type {@code type} found by walking the raw box
     * tree (moov/trak/mdia/minf/stbl/stsd/entry/...), byte-exact as the writer wrote it.
     */
    public static byte[] configBox(Path file, String type) throws IOException {
        byte[] f = Files.readAllBytes(file);
        int at = find(f, 0, f.length, type);
        if (at < 0) {
            throw new AssertionError("no " + type + " box in " + file);
        }
        int size = u32(f, at);
        return Arrays.copyOfRange(f, at + 8, at + size);
    }

    private static final List<String> CONTAINERS = List.of("moov", "trak", "mdia", "minf", "stbl", "edts");

    private static int find(byte[] f, int from, int to, String type) {
        int p = from;
        while (p + 8 <= to) {
            int size = u32(f, p);
            if (size < 8 || p + size > to) {
                return -1;
            }
            String t = new String(f, p + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (t.equals(type)) {
                return p;
            }
            int child = -1;
            if (CONTAINERS.contains(t)) {
                child = p + 8;
            } else if (t.equals("stsd")) {
                child = p + 16;
            } else if (List.of("avc1", "avc3", "hvc1", "hev1", "av01", "vp09", "vp08").contains(t)) {
                child = p + 86;
            } else if (List.of("mp4a", "Opus", "ulaw", "alaw").contains(t)) {
                child = p + 36;
            }
            if (child > 0) {
                int r = find(f, child, p + size, type);
                if (r >= 0) {
                    return r;
                }
            }
            p += size;
        }
        return -1;
    }

    private static int u32(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    /** Real encoder output of an MP4 made by ffmpeg: the track's config box content and its samples as frames. */
    public static List<TestMedia.Frame> frames(Path mp4, String handler) throws IOException {
        Movie m = read(mp4);
        Track t = m.track(handler);
        List<TestMedia.Frame> out = new ArrayList<>();
        long first = t.samples().isEmpty() ? 0 : t.samples().get(0).decodeTime();
        for (Sample s : t.samples()) {
            out.add(new TestMedia.Frame(bytes(mp4, s), (s.decodeTime() - first) * 1_000_000 / t.timescale(),
                    s.sync()));
        }
        return out;
    }
}
