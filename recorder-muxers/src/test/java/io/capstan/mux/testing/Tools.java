package io.capstan.mux.testing;

import io.capstan.testing.MediaTools;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Verdicts of the independent tools on a written file. */
public final class Tools {

    private Tools() {
    }

    /** ffprobe reads it without error lines and ffmpeg decodes all of it without a single error line. */
    public static List<Map<String, String>> assertDecodesCleanly(Path file) {
        MediaTools.require("ffmpeg", "ffprobe");
        MediaTools.Run probe = MediaTools.run(List.of("ffprobe", "-v", "error", "-show_format", "-show_streams",
                file.toString()));
        assertThat(probe.exit()).as("ffprobe exit").isZero();
        assertThat(probe.stderr()).as("ffprobe errors on " + file).isBlank();
        assertThat(MediaTools.decodeErrors(file)).as("ffmpeg decode errors on " + file).isEmpty();
        return MediaTools.probeStreams(file);
    }

    /** Within each stream, no repeated PTS and no decreasing DTS (what the validator counts). */
    public static void assertMonotonicPackets(Path file, int streams) {
        for (int s = 0; s < streams; s++) {
            List<String[]> pk = MediaTools.packets(file, s);
            double lastPts = Double.NEGATIVE_INFINITY;
            double lastDts = Double.NEGATIVE_INFINITY;
            for (String[] row : pk) {
                double pts = Double.parseDouble(row[0]);
                assertThat(pts).as("stream %d pts after %s", s, lastPts).isGreaterThan(lastPts);
                lastPts = pts;
                if (!row[1].equals("N/A")) {
                    double dts = Double.parseDouble(row[1]);
                    assertThat(dts).as("stream %d dts", s).isGreaterThanOrEqualTo(lastDts);
                    lastDts = dts;
                }
            }
        }
    }

    /** mkvinfo as the validator runs it (it stops at the first cluster), then verbose over the whole file. */
    public static String mkvinfo(Path file) {
        MediaTools.require("mkvinfo");
        MediaTools.Run all = MediaTools.run(List.of("mkvinfo", "-v", file.toString()));
        assertThat(all.exit()).as("mkvinfo -v exit: " + all.stdout() + all.stderr()).isZero();
        assertThat(all.stdout() + all.stderr()).as("mkvinfo -v output").doesNotContainIgnoringCase("error")
                .doesNotContainIgnoringCase("warning");
        MediaTools.Run r = MediaTools.run(List.of("mkvinfo", file.toString()));
        assertThat(r.exit()).as("mkvinfo exit: " + r.stdout() + r.stderr()).isZero();
        assertThat(r.stdout()).as("mkvinfo output").doesNotContain("Error").doesNotContain("error");
        assertThat(r.stderr().toLowerCase()).as("mkvinfo stderr").doesNotContain("error");
        return r.stdout();
    }

    public static void assertOggToolsClean(Path file) {
        MediaTools.require("opusinfo", "oggz-validate");
        MediaTools.Run info = MediaTools.run(List.of("opusinfo", file.toString()));
        assertThat(info.exit()).as("opusinfo exit").isZero();
        assertThat(Pattern.compile("^(WARNING|ERROR)", Pattern.MULTILINE)
                .matcher(info.stdout() + "\n" + info.stderr()).find())
                .as("opusinfo warnings:\n" + info.stdout() + info.stderr()).isFalse();
        MediaTools.Run v = MediaTools.run(List.of("oggz-validate", file.toString()));
        assertThat(v.exit()).as("oggz-validate: " + v.stdout() + v.stderr()).isZero();
    }

    public static Map<String, String> stream(List<Map<String, String>> streams, String type) {
        return streams.stream().filter(s -> type.equals(s.get("codec_type"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type + " stream in " + streams));
    }
}
