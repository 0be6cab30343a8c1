package io.capstan.storage.fs;

import io.capstan.session.NameValues;
import io.capstan.session.NamingOptions;
import io.capstan.session.NamingTemplate;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A traversal corpus as every value of a name, through every encoding, rendered and written through
 * {@link FileSystemSink}: each file lands under the recording root (checked on the real path), nothing is written
 * anywhere else, and nothing overwrites anything.
 */
class NamingTraversalTest {

    @TempDir
    Path base;

    static final List<String> CORPUS = List.of(
            "../../etc/passwd", "/etc/passwd", "..", ".", "", "....//", "..../", "%2e%2e%2f%2e%2e", "%2e%2e/%2e%2e",
            "..%2f..%2f", "..\\..\\windows\\system32", "C:\\Windows", "\\\\server\\share", "a\u0000b",
            "\u0001\u001f\u007f", "line\nbreak\r", "~", "~root", "$HOME", "`id`", "a b", "*?<>|\"'", ".hidden",
            "./.", "/./", "//", "\u202e\u200f\u2067gnp.exe", "\ud83c\udfa5 ünïcødé 会议", "\uff0e\uff0e\uff0f",
            "\u2024\u2024/", "x".repeat(300), "../".repeat(100), "é".repeat(200), "\u0000".repeat(5), " ", "-rf",
            "con", "NUL", "aux.txt");

    static final List<String> TEMPLATES = List.of(
            "{stream}", "{stream}/{room}/{participant}_{index}", "{room}/{yyyy}/{MM}/{dd}/{stream}_{track}_{ssrc}",
            "{login}/{mediaSessionId}/{sessionId}_{videoCodec}_{audioCodec}_{codec}", "{stream}_{duration}",
            "{stream}/{yyyy}/");

    @Test
    void corpusNeverEscapesTheRoot() throws Exception {
        Path root = Files.createDirectories(base.resolve("records"));
        Path outside = Files.createDirectories(base.resolve("outside"));
        Path tmp = Files.createDirectories(base.resolve("tmp"));
        Files.writeString(outside.resolve("passwd"), "secret");
        List<FileSystemSink> sinks = List.of(new FileSystemSink(root, false),
                FileSystemSink.builder(root).fsync(false).tmpDir(tmp).build());
        Instant t = Instant.parse("2026-11-21T10:15:30Z");
        Path realRoot = root.toRealPath();
        int files = 0;
        for (NamingOptions.Encoding enc : NamingOptions.Encoding.values()) {
            for (String excluded : List.of("/", "/@,+=.-")) {
                NamingOptions o = new NamingOptions(enc, excluded, true);
                for (String tpl : TEMPLATES) {
                    NamingTemplate nt = new NamingTemplate(tpl, o);
                    for (String v : CORPUS) {
                        NameValues values = NameValues.builder(t).stream(v).room(v).track(v).ssrc(v).participant(v)
                                .sessionId(v).mediaSessionId(v).codec(v).videoCodec(v).audioCodec(v).index(7)
                                .build();
                        for (NameValues nv : List.of(values, values.end(1_000_000, 2_000))) {
                            SegmentKey key = nt.render(nv, "webm"); // SegmentKey validated it
                            for (String element : key.path().split("/")) {
                                assertThat(element.getBytes(StandardCharsets.UTF_8).length).as(key.path())
                                        .isLessThanOrEqualTo(255);
                                assertThat(element).as(key.path()).doesNotStartWith(".");
                            }
                            FileSystemSink sink = sinks.get(files % 2);
                            SegmentOutput out = sink.open(key, true);
                            out.write(ByteBuffer.wrap(v.getBytes(StandardCharsets.UTF_8)));
                            if (files % 3 == 0) {
                                out.commit(nt.render(nv.end(2_000_000, 3_000), "webm"));
                            } else {
                                out.commit();
                            }
                            Path real = Path.of(out.location()).toRealPath();
                            assertThat(real).as(key.path()).startsWith(realRoot);
                            assertThat(real).as(key.path()).isNotEqualTo(realRoot);
                            files++;
                        }
                    }
                }
            }
        }
        assertThat(Files.readString(outside.resolve("passwd"))).isEqualTo("secret");
        try (Stream<Path> s = Files.walk(outside)) {
            assertThat(s.filter(Files::isRegularFile).count()).isEqualTo(1);
        }
        try (Stream<Path> s = Files.walk(tmp)) {
            assertThat(s.filter(Files::isRegularFile).toList()).isEmpty(); // everything moved into the root
        }
        List<Path> written = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(written::add);
        }
        assertThat(written).hasSize(files); // no file replaced another: collisions got suffixes
        assertThat(written).noneMatch(p -> p.getFileName().toString().endsWith(".part"));
        try (Stream<Path> s = Files.walk(base)) {
            assertThat(s.filter(Files::isRegularFile).count()).isEqualTo(files + 1L);
        }
    }
}
