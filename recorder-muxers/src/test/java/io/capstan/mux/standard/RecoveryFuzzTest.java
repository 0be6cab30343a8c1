package io.capstan.mux.standard;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.Repair;
import io.capstan.mux.ivf.IvfMuxerFactory;
import io.capstan.mux.mp4.FragmentedMp4MuxerFactory;
import io.capstan.mux.mp4.Mp4Muxer;
import io.capstan.mux.ogg.OggOpusMuxerFactory;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.FileOutput;
import io.capstan.mux.testing.MemoryOutput;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.ts.TsMuxerFactory;
import io.capstan.mux.webm.MatroskaMuxerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz target for {@code capstan recover} (issue 7):
 * {@link Recovery#recover(io.capstan.storage.SeekableOutput)} over an in-memory file holding the fuzzer's bytes,
 * which reaches every per-format reader by the file's first bytes (Mp4Recovery, MatroskaRecovery, OggRecovery,
 * IvfRecovery, the TS cut).
 *
 * <p>Contract: {@link IOException} for a file it cannot repair; otherwise the repaired file is no longer than
 * what it kept, and recovering it again works or is an IOException too. Nothing else is thrown (no unchecked
 * exception, no huge allocation, no endless loop). Seeds: files written, flushed and never closed (as a killed
 * recording leaves them) and closed ones, by the project's muxers on 0.2 s of real media ({@link #writeSeeds()},
 * which needs ffmpeg; frames cut to 40 bytes).
 */
class RecoveryFuzzTest {

    private static final Path DIR;
    private static final Path FILE;

    static {
        try {
            DIR = Files.createTempDirectory("capstan-recover-fuzz");
            FILE = DIR.resolve("fuzz.part");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(DIR)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @FuzzTest(maxDuration = "60s")
    void recover(byte[] data) throws IOException {
        // in memory (Recovery.recover(Path) is this on a FileChannelOutput, plus an fsync that would make each
        // run take milliseconds)
        MemoryOutput file = new MemoryOutput();
        file.write(ByteBuffer.wrap(data));
        Repair r;
        try {
            r = Recovery.recover(file);
        } catch (IOException expected) {
            return;
        }
        assertThat(r.keptBytes()).isEqualTo(file.size());
        try {
            Recovery.recover(file);
        } catch (IOException expected) {
            // e.g. everything was cut away
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "capstan.fuzz.writeSeeds", matches = "true")
    void writeSeeds() throws Exception {
        Path work = Files.createTempDirectory("capstan-seeds");
        double seconds = 0.2;
        var vp8 = TestMedia.ivfFrames(TestMedia.vp8(work, seconds, 30, 30));
        var opus = TestMedia.opusPackets(TestMedia.opusOgg(work, seconds, 2));
        var h264 = TestMedia.annexBToAvcc(TestMedia.h264(work, seconds, 30, 30), 30);
        var aac = TestMedia.adtsToRaw(TestMedia.aacAdts(work, seconds));
        TrackFormat vp8Format = TrackFormat.video(Codec.VP8, 320, 240, null);
        TrackFormat opusFormat = TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head());
        TrackFormat h264Format = TrackFormat.video(Codec.H264, 320, 240, h264.avcC());
        TrackFormat aacFormat = TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(),
                aac.asc());
        // 100 ms fragments (so the never-closed file holds some), a small moov reserve (a small seed)
        Mp4Muxer.Options mp4 = new Mp4Muxer.Options(100, 1, 4096, InstantSource.fixed(Instant.parse(
                "2026-11-21T10:00:00Z")));
        vp8 = small(vp8);
        opus = new TestMedia.Opus(opus.head(), small(opus.packets()));
        h264 = new TestMedia.H264(h264.avcC(), small(h264.frames()));
        aac = new TestMedia.Aac(aac.asc(), aac.sampleRate(), aac.channels(), small(aac.frames()));
        seed(work, "webm", o -> MatroskaMuxerFactory.webm().create(o), List.of(vp8Format, opusFormat),
                Feed.interleave(vp8, opus.packets()));
        seed(work, "mkv", o -> MatroskaMuxerFactory.matroska().create(o), List.of(h264Format, aacFormat),
                Feed.interleave(h264.frames(), aac.frames()));
        seed(work, "mp4", o -> Mp4Muxer.progressive(o, mp4), List.of(h264Format, aacFormat),
                Feed.interleave(h264.frames(), aac.frames()));
        seed(work, "fmp4", o -> new FragmentedMp4MuxerFactory(mp4).create(o), List.of(h264Format),
                Feed.interleave(h264.frames()));
        seed(work, "ogg", o -> new OggOpusMuxerFactory().create(o), List.of(opusFormat),
                Feed.interleave(opus.packets()));
        seed(work, "ivf", o -> new IvfMuxerFactory().create(o), List.of(vp8Format), Feed.interleave(vp8));
        seed(work, "ts", o -> new TsMuxerFactory().create(o), List.of(h264Format, aacFormat),
                Feed.interleave(h264.frames(), aac.frames()));
        // the finalized MP4 and the WebM are CutFuzzTest's seeds as well
        Path cut = Path.of("src/test/resources/io/capstan/records/CutFuzzTestInputs/cut");
        Files.createDirectories(cut);
        for (String name : new String[] {"mp4", "webm"}) {
            Files.copy(SEEDS.resolve(name), cut.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static final Path SEEDS = Path.of("src/test/resources/io/capstan/mux/standard/RecoveryFuzzTestInputs/recover");

    /** Frames cut to their first 40 bytes (headers kept): containers do not look further, seeds stay small. */
    private static List<TestMedia.Frame> small(List<TestMedia.Frame> frames) {
        return frames.stream().map(f -> new TestMedia.Frame(java.util.Arrays.copyOf(f.data(),
                Math.min(40, f.data().length)), f.ptsMicros(), f.key())).toList();
    }

    /** Writes {@code <name>-part} (flushed, never closed) and {@code <name>} (closed) seeds. */
    private static void seed(Path work, String name, Function<FileOutput, Muxer> muxer, List<TrackFormat> formats,
                             List<Feed.Item> items) throws IOException {
        Path dir = SEEDS;
        Files.createDirectories(dir);
        Path file = work.resolve(name);
        FileOutput o = new FileOutput(file);
        Muxer m = muxer.apply(o);
        for (TrackFormat f : formats) {
            m.addTrack(f);
        }
        Feed.write(m, items);
        m.flush();
        Files.copy(file, dir.resolve(name + "-part"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        m.close();
        o.close();
        Files.copy(file, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Fuzzing finding (crash-23530e03...): a track header isoparser cannot parse threw its AssertionError (with
     * -ea; unchecked exceptions without) out of the MP4 recovery, lazily, at {@code getTrackId()}.
     */
    @Test
    void mp4WithUnparsableTrackHeader_isAnIOException() throws Exception {
        try (var in = RecoveryFuzzTest.class.getResourceAsStream(
                "RecoveryFuzzTestInputs/recover/crash-23530e034f4ef495dfba324b0c91b6c20dbc718a")) {
            Files.write(FILE, in.readAllBytes());
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Recovery.recover(FILE))
                .isInstanceOf(IOException.class).hasMessageContaining("unreadable init movie box");
    }
}
