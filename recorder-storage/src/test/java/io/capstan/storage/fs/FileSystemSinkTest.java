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
}
