package io.capstan.examples.cli;

import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --template}, {@code --encode-names}, {@code --exclude-chars}, {@code --no-index}, {@code --tmp-dir}. */
class NamingCliTest {

    static final Path FIXTURES = ConvertConformanceTest.FIXTURES;

    @TempDir
    Path dir;

    record Result(int exit, String stdout, String stderr, Object report) {
    }

    Path out() {
        return dir.resolve("out");
    }

    Result convert(Map<String, String> env, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("convert", "--sdp", FIXTURES.resolve("vp8_opus.sdp").toString(),
                "--pcap", FIXTURES.resolve("vp8_opus.pcap").toString(), "--out", out().toString(),
                "--report", dir.resolve("report.json").toString()));
        args.addAll(List.of(extra));
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = new CapstanCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), env).run(args.toArray(new String[0]));
        Path rp = dir.resolve("report.json");
        Object rep = Files.exists(rp) ? MiniJson.parse(Files.readString(rp)) : null;
        return new Result(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8), rep);
    }

    /** Every regular file under {@code root}, as '/'-separated relative paths. */
    static List<String> files(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted().toList();
        }
    }

    @Test
    void template_directoryLayoutWithIndexAndDuration_landsThere_andDecodes() throws IOException {
        Result r = convert(Map.of(), "--stream", "cam", "--template",
                "{stream}/{yyyy}/{MM}/{dd}/{stream}_{index}_{duration}");
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<String> f = files(out());
        assertThat(f).hasSize(1);
        String rel = f.get(0);
        assertThat(rel).matches("cam/\\d{4}/\\d{2}/\\d{2}/cam_1_\\d+\\.webm");
        Path file = out().resolve(rel);
        assertThat(MiniJson.at(r.report(), "files", "0", "path")).isEqualTo(file.toAbsolutePath().toString());
        if (MediaTools.available("ffprobe") && MediaTools.available("ffmpeg")) {
            assertThat(MediaTools.decodeErrors(file)).isEmpty();
            long ms = Long.parseLong(rel.replaceAll(".*_(\\d+)\\.webm", "$1"));
            assertThat(ms / 1000.0).isCloseTo(MediaTools.probeDuration(file), org.assertj.core.data.Offset.offset(0.1));
        } else {
            MediaTools.require("ffprobe", "ffmpeg"); // skips, or fails with -Dcapstan.requireTools
        }
    }

    @Test
    void encodeNamesHex_noIndex_aNetworkNameStaysOneElement() throws IOException {
        Result r = convert(Map.of(), "--stream", "../evil", "--template", "{stream}_{index}", "--no-index",
                "--encode-names", "hex");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(files(out())).containsExactly("2e2e2f6576696c.webm");
        assertThat(files(dir)).filteredOn(p -> !p.startsWith("out/")).containsExactly("report.json");
    }

    @Test
    void encodeNamesBase64_andExcludeChars() throws IOException {
        assertThat(convert(Map.of(), "--stream", "a/b?", "--template", "{stream}", "--encode-names", "base64").exit())
                .isZero();
        assertThat(files(out())).containsExactly("YS9iPw.webm");
        assertThat(convert(Map.of(), "--stream", "me@host,x", "--template", "x/{stream}", "--exclude-chars", "@,")
                .exit()).isZero();
        assertThat(files(out())).contains("x/me_host_x.webm");
    }

    @Test
    void environmentTemplate_andTheFlagWins() throws IOException {
        Map<String, String> env = Map.of("RECORD_TEMPLATE", "env/{stream}");
        assertThat(convert(env, "--stream", "s").exit()).isZero();
        assertThat(files(out())).containsExactly("env/s.webm");
        assertThat(convert(env, "--stream", "s", "--template", "flag/{stream}").exit()).isZero();
        assertThat(files(out())).containsExactly("env/s.webm", "flag/s.webm");
        // the same name again: a collision suffix, never an overwrite
        assertThat(convert(env, "--stream", "s", "--template", "flag/{stream}").exit()).isZero();
        assertThat(files(out())).containsExactly("env/s.webm", "flag/s-1.webm", "flag/s.webm");
    }

    @Test
    void tmpDir_fromFlagOrEnvironment_filesEndUpInOut() throws IOException {
        Path tmp = dir.resolve("tmp");
        Path envTmp = dir.resolve("envtmp");
        Result r = convert(Map.of("RECORD_TMP_DIR", envTmp.toString()), "--stream", "t", "--tmp-dir", tmp.toString(),
                "--template", "{stream}/{stream}_{duration}");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(files(out())).singleElement().asString().matches("t/t_\\d+\\.webm");
        assertThat(Files.isDirectory(tmp)).isTrue(); // the flag won
        assertThat(files(tmp)).isEmpty();
        assertThat(Files.exists(envTmp)).isFalse();
        r = convert(Map.of("RECORD_TMP_DIR", envTmp.toString()), "--stream", "u");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(Files.isDirectory(envTmp)).isTrue();
        assertThat(files(envTmp)).isEmpty();
    }

    @Test
    void badNamingOptions_exit2() throws IOException {
        Result r = convert(Map.of(), "--encode-names", "rot13");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("--encode-names");
        r = convert(Map.of(), "--template", "{nope}");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("unknown placeholder {nope}");
        r = convert(Map.of(), "--template", "../{stream}");
        assertThat(r.exit()).isEqualTo(2);
        r = convert(Map.of(), "--tmp-dir", out().resolve("t").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stderr()).contains("must not be inside --out");
    }
}
