package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.testing.Tools;
import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SegmentOutput;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * DASH and HLS outputs of {@link SegmentedMp4Muxer} from real encoder frames (libx264 with a keyframe every second,
 * AAC), read back by ffprobe/ffmpeg through their manifests.
 */
class SegmentedMp4MuxerTest {

    @TempDir
    Path dir;

    /** An object group over a directory: objects appear under their name on commit, manifests replace atomically. */
    static final class DirGroup implements ObjectGroup {
        final Path root;

        DirGroup(Path root) throws IOException {
            this.root = Files.createDirectories(root);
        }

        @Override
        public String prefix() {
            return root.getFileName().toString();
        }

        @Override
        public SegmentOutput create(String name) throws IOException {
            Path part = root.resolve(name + ".part");
            FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new SegmentOutput() {
                @Override
                public Optional<io.capstan.storage.SeekableOutput> seekable() {
                    return Optional.empty();
                }

                @Override
                public void commit() throws IOException {
                    ch.close();
                    Files.move(part, root.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                }

                @Override
                public void abort() {
                }

                @Override
                public String location() {
                    return root.resolve(name).toString();
                }

                @Override
                public long bytesWritten() {
                    return 0;
                }

                @Override
                public int write(ByteBuffer src) throws IOException {
                    int n = 0;
                    while (src.hasRemaining()) {
                        n += ch.write(src);
                    }
                    return n;
                }

                @Override
                public boolean isOpen() {
                    return ch.isOpen();
                }

                @Override
                public void close() throws IOException {
                    ch.close();
                }
            };
        }

        @Override
        public void replace(String name, ByteBuffer content) throws IOException {
            Path tmp = root.resolve(name + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                while (content.hasRemaining()) {
                    ch.write(content);
                }
            }
            Files.move(tmp, root.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }

        @Override
        public String location(String name) {
            return root.resolve(name).toString();
        }
    }

    private static final SegmentedMp4Muxer.Options OPTIONS = new SegmentedMp4Muxer.Options(2000, 6000,
            InstantSource.fixed(Instant.parse("2026-11-21T10:00:00Z")));

    private record Media(Mp4Fixtures.Video video, TestMedia.Aac aac, List<Feed.Item> items) {
    }

    private Media media() throws Exception {
        Mp4Fixtures.Video v = Mp4Fixtures.h264(dir, 6, 30, 30);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 6));
        return new Media(v, aac, Feed.interleave(v.frames(), aac.frames()));
    }

    private static TrackFormat aacFormat(TestMedia.Aac aac) {
        return TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc());
    }

    @Test
    void dash_perTrackSegments_dynamicWhileRecording_staticAtTheEnd_playThroughTheMpd() throws Exception {
        MediaTools.require("ffprobe", "ffmpeg");
        Media m = media();
        DirGroup g = new DirGroup(dir.resolve("rec"));
        SegmentedMp4Muxer mux = new SegmentedMp4Muxer(g, "rec.mpd", SegmentedMp4Muxer.Kind.DASH, OPTIONS);
        mux.addTrack(m.video().format());
        mux.addTrack(aacFormat(m.aac()));
        int half = m.items().size() / 2;
        Feed.write(mux, m.items().subList(0, half), 90000, m.aac().sampleRate());
        String live = Files.readString(g.root.resolve("rec.mpd"));
        assertThat(live).contains("type=\"dynamic\"").contains("availabilityStartTime=\"2026-11-21T10:00:00Z\"")
                .doesNotContain("mediaPresentationDuration");
        // the live manifest only names segments that exist
        int liveSegments = (int) Stream.of(live.split("\n")).filter(l -> l.contains("<S ")).count();
        assertThat(liveSegments).isPositive();
        assertThat(g.root.resolve("seg_0001.m4s")).exists();
        Feed.write(mux, m.items().subList(half, m.items().size()), 90000, m.aac().sampleRate());
        mux.close();

        String mpd = Files.readString(g.root.resolve("rec.mpd"));
        assertThat(mpd).contains("type=\"static\"").contains("mediaPresentationDuration=\"PT6.000S\"")
                .contains("codecs=\"avc1.").contains("codecs=\"mp4a.40.2\"")
                .contains("initialization=\"init.m4s\"").contains("media=\"seg_$Number%04d$.m4s\"")
                .contains("initialization=\"audio_init.m4s\"").contains("media=\"audio_seg_$Number%04d$.m4s\"");
        try (Stream<Path> s = Files.list(g.root)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertThat(names).contains("init.m4s", "seg_0001.m4s", "seg_0003.m4s", "audio_init.m4s",
                    "audio_seg_0001.m4s").noneMatch(n -> n.endsWith(".part") || n.endsWith(".tmp"));
        }
        // keyframe every second, segments of >= 2 s cut at keyframes: 3 video segments of 2 s
        assertThat(mpd).contains("<S t=\"0\" d=\"180000\" r=\"2\"/>");
        Path manifest = g.root.resolve("rec.mpd");
        List<Map<String, String>> streams = Tools.assertDecodesCleanly(manifest);
        assertThat(Tools.stream(streams, "video").get("nb_read_frames")).isEqualTo(String.valueOf(m.video().frames().size()));
        // every AAC frame is in the segments (3 x 94 + 1); ffmpeg's dashdec stops reading audio at the whole-second
        // presentation duration and leaves out up to two of them (known, noted on the issue)
        assertThat(mpd).contains("<S t=\"0\" d=\"96256\" r=\"2\"/>").contains("<S d=\"1024\"/>");
        assertThat(3 * 94 + 1).isEqualTo(m.aac().frames().size());
        assertThat(Long.parseLong(Tools.stream(streams, "audio").get("nb_read_frames")))
                .isBetween(m.aac().frames().size() - 2L, (long) m.aac().frames().size());
        assertThat(mux.segmentsWritten()).isEqualTo(7);
    }

    @Test
    void hls_muxedSegmentObjects_playableWhileRecordingAndThroughTheFinalPlaylist() throws Exception {
        MediaTools.require("ffprobe", "ffmpeg");
        Media m = media();
        DirGroup g = new DirGroup(dir.resolve("hls"));
        SegmentedMp4Muxer mux = new SegmentedMp4Muxer(g, "rec.m3u8", SegmentedMp4Muxer.Kind.HLS, OPTIONS);
        mux.addTrack(m.video().format());
        mux.addTrack(aacFormat(m.aac()));
        Feed.write(mux, m.items(), 90000, m.aac().sampleRate());
        // live: the EVENT playlist names only committed segments, and a player reads what is there so far
        Path playlist = g.root.resolve("rec.m3u8");
        String during = Files.readString(playlist);
        assertThat(during).contains("#EXT-X-PLAYLIST-TYPE:EVENT").doesNotContain("#EXT-X-ENDLIST")
                .contains("#EXT-X-MAP:URI=\"seg_0001.m4s\",BYTERANGE=\"");
        List<String> liveSegments = segmentLines(during);
        assertThat(liveSegments).isNotEmpty().allSatisfy(n -> assertThat(g.root.resolve(n)).isRegularFile());
        // (ffmpeg would wait for more on the live playlist; a snapshot of it, ended, decodes cleanly)
        Path snapshot = g.root.resolve("snapshot.m3u8");
        Files.writeString(snapshot, during + "#EXT-X-ENDLIST\n");
        assertThat(MediaTools.decodeErrors(snapshot)).isEmpty();
        Files.delete(snapshot);
        mux.close();
        String pl = Files.readString(playlist);
        assertThat(pl).startsWith("#EXTM3U\n").contains("#EXT-X-VERSION:7").contains("#EXT-X-TARGETDURATION:2")
                .contains("#EXT-X-INDEPENDENT-SEGMENTS").endsWith("#EXT-X-ENDLIST\n");
        assertThat(segmentLines(pl)).containsExactly("seg_0001.m4s", "seg_0002.m4s", "seg_0003.m4s")
                .startsWith(liveSegments.toArray(String[]::new));
        try (Stream<Path> files = Files.list(g.root)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly("rec.m3u8", "seg_0001.m4s", "seg_0002.m4s", "seg_0003.m4s");
        }
        // the init section and the first segment tile seg_0001.m4s exactly
        long init = Long.parseLong(pl.replaceAll("(?s).*BYTERANGE=\"(\\d+)@0\".*", "$1"));
        String[] first = pl.replaceAll("(?s).*#EXT-X-BYTERANGE:(\\d+@\\d+).*", "$1").split("@");
        assertThat(Long.parseLong(first[1])).isEqualTo(init);
        assertThat(Files.size(g.root.resolve("seg_0001.m4s"))).isEqualTo(init + Long.parseLong(first[0]));
        for (String n : List.of("seg_0001.m4s", "seg_0002.m4s", "seg_0003.m4s")) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(g.root.resolve(n)), 8);
            assertThat(new String(head, 4, 4, StandardCharsets.US_ASCII)).isEqualTo(n.endsWith("1.m4s") ? "ftyp" : "moof");
        }
        List<Map<String, String>> streams = Tools.assertDecodesCleanly(playlist);
        assertThat(Tools.stream(streams, "video").get("nb_read_frames")).isEqualTo(String.valueOf(m.video().frames().size()));
        assertThat(Long.parseLong(Tools.stream(streams, "audio").get("nb_read_frames"))).isEqualTo(m.aac().frames().size());
        assertThat(MediaTools.probeDuration(playlist)).isCloseTo(6.0, within(0.1));
        // the segments concatenated are one playable fragmented MP4 (what `cat` of the rendition gives)
        Path joined = dir.resolve("joined.mp4");
        try (var out = Files.newOutputStream(joined)) {
            for (String n : List.of("seg_0001.m4s", "seg_0002.m4s", "seg_0003.m4s")) {
                out.write(Files.readAllBytes(g.root.resolve(n)));
            }
        }
        assertThat(MediaTools.decodeErrors(joined)).isEmpty();
    }

    private static List<String> segmentLines(String playlist) {
        return playlist.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }
}
