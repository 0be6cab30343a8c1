package io.capstan.storage.fs;

import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileSystemSinkTest {

    @TempDir
    Path root;

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void writesUnderPartNameAndMovesOnCommit() throws Exception {
        FileSystemSink sink = new FileSystemSink(root);
        SegmentOutput out = sink.open(new SegmentKey("cam/a.webm"), true);
        out.write(bytes("hello world"));
        assertThat(root.resolve("cam/a.webm.part")).exists();
        assertThat(root.resolve("cam/a.webm")).doesNotExist();
        out.commit();
        assertThat(root.resolve("cam/a.webm.part")).doesNotExist();
        assertThat(Files.readString(root.resolve("cam/a.webm"))).isEqualTo("hello world");
        assertThat(out.location()).isEqualTo(root.resolve("cam/a.webm").toString());
        assertThat(out.bytesWritten()).isEqualTo(11);
    }

    @Test
    void seekablePatchesEarlierBytes() throws Exception {
        FileSystemSink sink = new FileSystemSink(root, false);
        SegmentOutput out = sink.open(new SegmentKey("a.ivf"), true);
        var s = out.seekable().orElseThrow();
        s.write(bytes("0000abcd"));
        s.position(0);
        s.write(bytes("12"));
        s.position(s.size());
        s.write(bytes("!"));
        out.commit();
        assertThat(Files.readString(root.resolve("a.ivf"))).isEqualTo("1200abcd!");
        assertThatThrownBy(() -> s.position(0)).isInstanceOf(Exception.class);
    }

    @Test
    void abortDeletesThePartFile() throws Exception {
        FileSystemSink sink = new FileSystemSink(root);
        SegmentOutput out = sink.open(new SegmentKey("x.ogg"), false);
        out.write(bytes("data"));
        out.abort();
        out.abort();
        assertThat(Files.list(root)).isEmpty();
    }

    @Test
    void neverOverwritesAnExistingRecording() throws Exception {
        FileSystemSink sink = new FileSystemSink(root);
        Files.writeString(root.resolve("r.webm"), "old");
        SegmentOutput out = sink.open(new SegmentKey("r.webm"), true);
        out.write(bytes("new"));
        out.commit();
        assertThat(Files.readString(root.resolve("r.webm"))).isEqualTo("old");
        assertThat(Files.readString(root.resolve("r-1.webm"))).isEqualTo("new");
        assertThat(out.location()).endsWith("r-1.webm");
    }

    @Test
    void keysCannotEscapeTheRoot() {
        assertThatThrownBy(() -> new SegmentKey("../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentKey("/abs.webm")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentKey("a//b.webm")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentKey("a\\..\\b.webm")).isInstanceOf(IllegalArgumentException.class);
        assertThat(SegmentKey.sanitizeComponent("../../evil")).isEqualTo("_._.._evil");
        assertThat(SegmentKey.sanitizeComponent("..")).isEqualTo("_.");
    }

    @Test
    void writeFailureSurfacesAsIOException() throws Exception {
        FileSystemSink sink = new FileSystemSink(root);
        SegmentOutput out = sink.open(new SegmentKey("c.webm"), true);
        out.commit();
        assertThatThrownBy(() -> out.write(bytes("late"))).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void seekableReadsBackAndTruncates() throws Exception {
        FileSystemSink sink = new FileSystemSink(root, false);
        SegmentOutput out = sink.open(new SegmentKey("r.mp4"), true);
        var s = out.seekable().orElseThrow();
        s.write(bytes("0123456789"));
        ByteBuffer dst = ByteBuffer.allocate(4);
        assertThat(s.read(dst, 3)).isEqualTo(4);
        assertThat(new String(dst.array(), StandardCharsets.US_ASCII)).isEqualTo("3456");
        assertThat(s.position()).isEqualTo(10); // reading does not move the write position
        assertThat(s.read(ByteBuffer.allocate(4), 10)).isEqualTo(-1);
        s.truncate(6);
        assertThat(s.size()).isEqualTo(6);
        s.position(6);
        s.write(bytes("!"));
        out.commit();
        assertThat(Files.readString(root.resolve("r.mp4"))).isEqualTo("012345!");
    }

    @Test
    void objectGroup_reservesAFreshDirectory_createsAndReplacesObjects() throws Exception {
        FileSystemSink sink = new FileSystemSink(root, false);
        var g1 = sink.openGroup(new SegmentKey("cam/rec.mpd"));
        var g2 = sink.openGroup(new SegmentKey("cam/rec.mpd"));
        assertThat(g1.prefix()).isEqualTo("cam/rec");
        assertThat(g2.prefix()).isEqualTo("cam/rec-1");
        SegmentOutput seg = g1.create("seg_0001.m4s");
        seg.write(bytes("media"));
        assertThat(root.resolve("cam/rec/seg_0001.m4s")).doesNotExist();
        seg.commit();
        assertThat(Files.readString(root.resolve("cam/rec/seg_0001.m4s"))).isEqualTo("media");
        g1.replace("rec.mpd", bytes("v1"));
        g1.replace("rec.mpd", bytes("version 2"));
        assertThat(Files.readString(root.resolve("cam/rec/rec.mpd"))).isEqualTo("version 2");
        assertThat(g1.location("rec.mpd")).isEqualTo(root.resolve("cam/rec/rec.mpd").toString());
        try (var files = Files.list(root.resolve("cam/rec"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("seg_0001.m4s", "rec.mpd");
        }
        // names from the network never leave the group's directory
        assertThatThrownBy(() -> g1.create("../x.m4s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> g1.replace(".hidden", bytes("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> g1.create("a/b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void commitUnderAnotherKey_movesThere_andNeverReplaces() throws Exception {
        FileSystemSink sink = new FileSystemSink(root, false);
        Files.createDirectories(root.resolve("cam/2026"));
        Files.writeString(root.resolve("cam/2026/a_1000.webm"), "older");
        SegmentOutput out = sink.open(new SegmentKey("cam/a_open.webm"), true);
        out.write(bytes("new"));
        out.commit(new SegmentKey("cam/2026/a_1000.webm"));
        assertThat(Files.readString(root.resolve("cam/2026/a_1000.webm"))).isEqualTo("older");
        assertThat(Files.readString(root.resolve("cam/2026/a_1000-1.webm"))).isEqualTo("new");
        assertThat(out.location()).isEqualTo(root.resolve("cam/2026/a_1000-1.webm").toString());
        assertThat(root.resolve("cam/a_open.webm.part")).doesNotExist();
        out.commit(); // idempotent after commit
        assertThatThrownBy(() -> out.commit(new SegmentKey("../x.webm"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void collisionSuffix_goesBeforeTheLastExtension() throws Exception {
        FileSystemSink sink = new FileSystemSink(root, false);
        Files.writeString(root.resolve("v1.2_cam.webm"), "x");
        SegmentOutput out = sink.open(new SegmentKey("v1.2_cam.webm"), false);
        out.commit();
        assertThat(root.resolve("v1.2_cam-1.webm")).exists();
    }

    @Test
    void tmpDir_sameFileSystem_writesThereAndMovesIntoTheRootOnCommit() throws Exception {
        Path out = Files.createDirectories(root.resolve("out"));
        Path tmp = Files.createDirectories(root.resolve("tmp"));
        FileSystemSink sink = FileSystemSink.builder(out).tmpDir(tmp).build();
        SegmentOutput o = sink.open(new SegmentKey("cam/a.webm"), true);
        o.write(bytes("hello"));
        o.seekable().orElseThrow().position(0).write(bytes("J"));
        assertThat(tmp.resolve("cam/a.webm.part")).exists();
        assertThat(out.resolve("cam/a.webm.part")).doesNotExist();
        o.commit(new SegmentKey("cam/b.webm"));
        assertThat(Files.readString(out.resolve("cam/b.webm"))).isEqualTo("Jello");
        assertThat(tmp.resolve("cam/a.webm.part")).doesNotExist();
        assertThat(sink.tmpDir()).contains(tmp.toAbsolutePath().normalize());
    }

    @Test
    void tmpDir_otherFileSystem_copiesThenRenames() throws Exception {
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm)
                && !Files.getFileStore(shm).equals(Files.getFileStore(root)), "needs a second file system");
        Path tmp = Files.createTempDirectory(shm, "capstan-tmp");
        try {
            FileSystemSink sink = FileSystemSink.builder(root).tmpDir(tmp).build();
            Files.createDirectories(root.resolve("cam"));
            Files.writeString(root.resolve("cam/a.webm"), "older");
            SegmentOutput o = sink.open(new SegmentKey("cam/a.webm"), true);
            o.write(bytes("across"));
            o.commit();
            assertThat(Files.readString(root.resolve("cam/a.webm"))).isEqualTo("older");
            assertThat(Files.readString(root.resolve("cam/a-1.webm"))).isEqualTo("across");
            assertThat(tmp.resolve("cam/a.webm.part")).doesNotExist();
            try (var s = Files.list(root.resolve("cam"))) {
                assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactly("a-1.webm", "a.webm");
            }
        } finally {
            try (var s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
