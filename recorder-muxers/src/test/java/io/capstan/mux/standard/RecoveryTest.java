package io.capstan.mux.standard;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.Repair;
import io.capstan.mux.ivf.IvfMuxerFactory;
import io.capstan.mux.ogg.OggOpusMuxerFactory;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.FileOutput;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.testing.Tools;
import io.capstan.mux.webm.MatroskaMuxerFactory;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Files left by a killed recording (written, flushed, never closed, then cut at arbitrary byte positions as a
 * SIGKILL in the middle of a write would) are repaired in place by {@link Recovery}: ffmpeg then decodes them
 * without a single error line, and they hold every frame that was completely written.
 */
class RecoveryTest {

    @TempDir
    Path dir;

    /** Writes all items, flushes, and returns the bytes of the never-closed file. */
    private byte[] interrupted(Muxer m, FileOutput o, Path file, List<TrackFormat> formats, List<Feed.Item> items)
            throws IOException {
        for (TrackFormat f : formats) {
            m.addTrack(f);
        }
        Feed.write(m, items);
        m.flush();
        byte[] bytes = Files.readAllBytes(file);
        o.close();
        return bytes;
    }

    private static int[] cuts(int size, long seed) {
        Random r = new Random(seed);
        int[] c = new int[6];
        for (int i = 0; i < c.length; i++) {
            c[i] = size / 3 + r.nextInt(size - size / 3);
        }
        c[c.length - 1] = size; // and the uncut flushed file
        return c;
    }

    @Test
    void webm_cutAnywhere_recoversToCleanFileWithDuration() throws Exception {
        List<TestMedia.Frame> video = TestMedia.ivfFrames(TestMedia.vp8(dir, 4, 30, 30));
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 4, 2));
        Path file = dir.resolve("rec.webm.part");
        FileOutput o = new FileOutput(file);
        byte[] bytes = interrupted(MatroskaMuxerFactory.webm().create(o), o, file,
                List.of(TrackFormat.video(Codec.VP8, 320, 240, null),
                        TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head())),
                Feed.interleave(video, opus.packets()));
        for (int cut : cuts(bytes.length, 1)) {
            Path f = dir.resolve("cut" + cut + ".webm");
            Files.write(f, Arrays.copyOf(bytes, cut));
            Repair r = Recovery.recover(f);
            assertThat(r.container()).isEqualTo("matroska");
            assertThat(r.keptBytes()).isLessThanOrEqualTo(cut).isEqualTo(Files.size(f));
            assertThat(r.action()).contains("Segment size").contains("Duration");
            List<Map<String, String>> streams = Tools.assertDecodesCleanly(f);
            long frames = Long.parseLong(Tools.stream(streams, "video").get("nb_read_frames"));
            // the cut loses at most the blocks after it: about the share of the file that was cut off
            assertThat(frames).isGreaterThanOrEqualTo((long) (video.size() * (double) cut / bytes.length) - 12);
            double duration = MediaTools.probeDuration(f);
            assertThat(duration).isGreaterThan(0).isLessThanOrEqualTo(4.1);
            assertThat(Tools.mkvinfo(f)).contains("Duration");
            if (cut == bytes.length) {
                assertThat(frames).isEqualTo(video.size());
                assertThat(duration).isCloseTo(4.0, within(0.1));
            }
            // a second recovery finds nothing left to do
            assertThat(Recovery.recover(f).action()).contains("already complete");
        }
    }

    @Test
    void ogg_cutAnywhere_keepsCompletePagesAndEndsTheStream() throws Exception {
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 4, 2));
        Path file = dir.resolve("rec.ogg.part");
        FileOutput o = new FileOutput(file);
        byte[] bytes = interrupted(new OggOpusMuxerFactory().create(o), o, file,
                List.of(TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head())),
                Feed.interleave(opus.packets()));
        for (int cut : cuts(bytes.length, 2)) {
            Path f = dir.resolve("cut" + cut + ".ogg");
            Files.write(f, Arrays.copyOf(bytes, cut));
            Repair r = Recovery.recover(f);
            assertThat(r.container()).isEqualTo("ogg");
            assertThat(r.action()).contains("end-of-stream");
            Tools.assertDecodesCleanly(f);
            MediaTools.require("oggz-validate");
            MediaTools.Run v = MediaTools.run(List.of("oggz-validate", f.toString()));
            assertThat(v.exit()).as(v.stdout() + v.stderr()).isZero();
        }
    }

    @Test
    void ivf_cutAnywhere_keepsCompleteFramesAndWritesTheCount() throws Exception {
        List<TestMedia.Frame> video = TestMedia.ivfFrames(TestMedia.vp8(dir, 3, 30, 30));
        Path file = dir.resolve("rec.ivf.part");
        FileOutput o = new FileOutput(file);
        byte[] bytes = interrupted(new IvfMuxerFactory().create(o), o, file,
                List.of(TrackFormat.video(Codec.VP8, 320, 240, null)), Feed.interleave(video));
        for (int cut : cuts(bytes.length, 3)) {
            Path f = dir.resolve("cut" + cut + ".ivf");
            Files.write(f, Arrays.copyOf(bytes, cut));
            Repair r = Recovery.recover(f);
            List<Map<String, String>> streams = Tools.assertDecodesCleanly(f);
            long frames = Long.parseLong(Tools.stream(streams, "video").get("nb_read_frames"));
            assertThat(r.action()).contains("(" + frames + " frames)");
            byte[] fixed = Files.readAllBytes(f);
            long count = (fixed[28] & 0xFF) | (fixed[29] & 0xFF) << 8 | (fixed[30] & 0xFF) << 16;
            assertThat(count).isEqualTo(frames);
        }
    }

    @Test
    void garbageAndEmptyFiles_areClearErrors() throws Exception {
        Path empty = Files.write(dir.resolve("empty.webm"), new byte[0]);
        assertThatThrownBy(() -> Recovery.recover(empty)).isInstanceOf(IOException.class).hasMessageContaining("empty");
        Path junk = Files.write(dir.resolve("junk.bin"), "this is not media at all".getBytes());
        assertThatThrownBy(() -> Recovery.recover(junk)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a file Capstan writes");
        Path ts = Files.write(dir.resolve("t.ts"), new byte[] {0x47, 0, 0});
        assertThatThrownBy(() -> Recovery.recover(ts)).isInstanceOf(IOException.class)
                .hasMessageContaining("no complete transport packet");
    }

    /** Fuzzing finding (RecoveryFuzzTest crash-b26bb796...): an IVF header length beyond the end of the file. */
    @Test
    void ivf_headerLengthBeyondTheFile_isNotAnIvfFile() throws Exception {
        byte[] b = new byte[356];
        System.arraycopy("DKIF".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, b, 0, 4);
        b[6] = 0x34; // header length 0x3434 = 13364 bytes (little endian)
        b[7] = 0x34;
        System.arraycopy("VP80".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, b, 8, 4);
        Path f = dir.resolve("long-header.ivf");
        Files.write(f, b);
        assertThatThrownBy(() -> Recovery.recover(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("header claims 13364 bytes");
        assertThat(Files.readAllBytes(f)).isEqualTo(b);
    }
}
