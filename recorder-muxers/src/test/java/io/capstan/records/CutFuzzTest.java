package io.capstan.records;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Coverage-guided fuzz target for the readers behind cuts and {@code capstan serve} (issue 7):
 * {@link RecordCutter#cut} (its {@code Mp4Source} and {@code WebmSource}) over a file holding the fuzzer's
 * bytes, for a range from the start and one inside the recording.
 *
 * <p>Contract ({@link RecordCutter#cut}): {@link IOException} when the source cannot be read or is not
 * MP4/WebM/Matroska, {@link IllegalArgumentException} when the range holds no media; nothing else. Seeds: a short
 * WebM (VP8 + Opus) and a progressive MP4 (H.264 + AAC) written by the project's muxers
 * ({@code RecoveryFuzzTest#writeSeeds} writes them).
 */
class CutFuzzTest {

    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("capstan-cut-fuzz");
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
    void cut(byte[] data) throws IOException {
        Path source = DIR.resolve("source");
        Files.write(source, data);
        cut(source, 0, 10_000_000L);
        cut(source, 100_000L, 150_000L);
    }

    private static void cut(Path source, long start, long end) {
        try {
            RecordCutter.sniff(source);
            RecordCutter.cut(source, start, end, DIR.resolve("cut"));
        } catch (IOException | IllegalArgumentException documented) {
            // not a recording, or nothing in the range
        }
    }

    /**
     * Fuzzing finding (crash-0512b166...): an MP4 whose video sample entry is shorter than its 78 fixed bytes threw
     * IndexOutOfBoundsException out of {@link RecordCutter#cut}; it is an IOException (malformed file).
     */
    @Test
    void mp4WithShortSampleEntry_isAnIOException() throws Exception {
        Path source = DIR.resolve("short-entry.mp4");
        try (var in = CutFuzzTest.class.getResourceAsStream(
                "CutFuzzTestInputs/cut/crash-0512b1665269e7cc66ae2af145030ce4642e44d6")) {
            Files.write(source, in.readAllBytes());
        }
        assertThatThrownBy(() -> RecordCutter.cut(source, 0, 10_000_000L, DIR.resolve("out.mp4")))
                .isInstanceOf(IOException.class).hasMessageContaining("malformed MP4");
    }

    /** Fuzzing finding (crash-faf55251...): an stss entry count of -419430399 was allocated as an array. */
    @Test
    void mp4WithNegativeSyncSampleCount_isAnIOException() throws Exception {
        Path source = DIR.resolve("stss.mp4");
        try (var in = CutFuzzTest.class.getResourceAsStream(
                "CutFuzzTestInputs/cut/crash-faf55251a4c56560c9d5ce6d8951401fac8b106e")) {
            Files.write(source, in.readAllBytes());
        }
        assertThatThrownBy(() -> RecordCutter.cut(source, 0, 10_000_000L, DIR.resolve("out.mp4")))
                .isInstanceOf(IOException.class).hasMessageContaining("do not fit");
    }
}
