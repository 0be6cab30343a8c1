package io.capstan.mux.ivf;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.testing.MemoryOutput;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IvfMuxerTest {

    static long le(byte[] f, int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (f[at + i] & 0xFF);
        }
        return v;
    }

    @Test
    void header_andFrames_roundTrip() throws IOException {
        MemoryOutput out = new MemoryOutput();
        IvfMuxer m = new IvfMuxer(out);
        m.addTrack(TrackFormat.video(Codec.VP9, 640, 360, null));
        EncodedFrame f = new EncodedFrame(16);
        byte[][] frames = {{1, 2, 3}, {4, 5}, {6}, {7, 8, 9, 10}};
        for (int i = 0; i < frames.length; i++) {
            // 30 fps from a 90 kHz clock: 3000 ticks = 33333.3 us, truncated to microseconds as a timeline would
            long pts = i * 3000L * 1_000_000 / 90_000;
            m.write(0, f.set(frames[i], 0, frames[i].length).ptsMicros(pts).keyframe(i == 0));
        }
        m.close();
        byte[] b = out.bytes();
        assertThat(new String(b, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("DKIF");
        assertThat(le(b, 4, 2)).isZero();                 // version
        assertThat(le(b, 6, 2)).isEqualTo(32);            // header size
        assertThat(new String(b, 8, 4, StandardCharsets.US_ASCII)).isEqualTo("VP90");
        assertThat(le(b, 12, 2)).isEqualTo(640);
        assertThat(le(b, 14, 2)).isEqualTo(360);
        assertThat(le(b, 16, 4)).isEqualTo(90_000);       // time base 1/90000
        assertThat(le(b, 20, 4)).isEqualTo(1);
        assertThat(le(b, 24, 4)).isEqualTo(4 * 3000);     // length: 4 frames x 3000 ticks
        assertThat(le(b, 28, 4)).isEqualTo(4);            // frame count
        int p = 32;
        for (int i = 0; i < frames.length; i++) {
            assertThat(le(b, p, 4)).isEqualTo(frames[i].length);
            assertThat(le(b, p + 4, 8)).as("pts of frame %d exact on 90 kHz", i).isEqualTo(i * 3000L);
            assertThat(Arrays.copyOfRange(b, p + 12, p + 12 + frames[i].length)).isEqualTo(frames[i]);
            p += 12 + frames[i].length;
        }
        assertThat(p).isEqualTo(b.length);
        assertThat(m.framesWritten()).isEqualTo(4);
        assertThat(m.bytesWritten()).isEqualTo(b.length);
    }

    @Test
    void unclosedFile_hasZeroLengthAndCount_butValidFrames() throws IOException {
        MemoryOutput out = new MemoryOutput();
        IvfMuxer m = new IvfMuxer(out);
        m.addTrack(TrackFormat.video(Codec.AV1, 320, 240, null));
        m.write(0, EncodedFrame.of(0, new byte[] {0x12, 0}, 0, 0, true));
        m.flush();
        byte[] b = out.bytes();
        assertThat(new String(b, 8, 4, StandardCharsets.US_ASCII)).isEqualTo("AV01");
        assertThat(le(b, 24, 8)).isZero();
        assertThat(b).hasSize(32 + 12 + 2);
    }

    @Test
    void repeatedOrBackwardPts_neverRepeatInTheFile() throws IOException {
        MemoryOutput out = new MemoryOutput();
        IvfMuxer m = new IvfMuxer(out);
        m.addTrack(TrackFormat.video(Codec.VP8, 2, 2, null));
        m.write(0, EncodedFrame.of(0, new byte[] {1}, 0, 0, false)); // before any keyframe: dropped
        for (long pts : List.of(0L, 0L, 5L, 1000L)) {
            m.write(0, EncodedFrame.of(0, new byte[] {1}, pts, 0, true));
        }
        m.close();
        assertThat(m.droppedBeforeKeyframe()).isEqualTo(1);
        assertThat(m.framesWritten()).isEqualTo(4);
        byte[] b = out.bytes();
        assertThat(List.of(le(b, 36, 8), le(b, 49, 8), le(b, 62, 8), le(b, 75, 8))).containsExactly(0L, 1L, 2L, 90L);
    }

    @Test
    void shortWrites_sameBytes_andIoExceptionPropagates() throws IOException {
        byte[] a = write(new MemoryOutput());
        byte[] b = write(new MemoryOutput().maxPerWrite(3));
        assertThat(b).isEqualTo(a);
        assertThatThrownBy(() -> write(new MemoryOutput().failAfter(100))).isInstanceOf(IOException.class);
    }

    private static byte[] write(MemoryOutput out) throws IOException {
        IvfMuxer m = new IvfMuxer(out);
        m.addTrack(TrackFormat.video(Codec.VP8, 320, 240, null));
        for (int i = 0; i < 50; i++) {
            byte[] d = new byte[100 + i];
            Arrays.fill(d, (byte) i);
            m.write(0, EncodedFrame.of(0, d, i * 33_333L, 0, i == 0));
        }
        m.close();
        m.close();
        return out.bytes();
    }

    @Test
    void onlyOneVp8Vp9Av1Track() {
        IvfMuxer m = new IvfMuxer(new MemoryOutput());
        assertThatThrownBy(() -> m.addTrack(TrackFormat.video(Codec.H264, 1, 1, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("H264");
        m.addTrack(TrackFormat.video(Codec.VP8, 1, 1, null));
        assertThatThrownBy(() -> m.addTrack(TrackFormat.video(Codec.VP8, 1, 1, null)))
                .isInstanceOf(IllegalStateException.class);
        IvfMuxerFactory f = new IvfMuxerFactory();
        assertThat(f.rejectReason(List.of(Codec.VP9))).isNull();
        assertThat(f.rejectReason(List.of(Codec.VP8, Codec.OPUS))).contains("exactly one");
        assertThat(f.rejectReason(List.of(Codec.H264))).contains("ivf cannot hold H264");
        assertThat(f.extension(List.of(Codec.AV1))).isEqualTo("ivf");
    }

    /**
     * Found by the impairment matrix (AV1, 5 % loss, IVF): frames at 0 and 33 ms, a GOP dropped while waiting for a
     * keyframe, then 1000..1100 ms. The stream length (libavformat's duration) ends one frame period after the
     * last frame, not one mean interval (which spans the gap).
     */
    @Test
    void length_afterAGapOfDroppedFrames_lastFrameLastsOneFramePeriod() throws IOException {
        MemoryOutput out = new MemoryOutput();
        IvfMuxer m = new IvfMuxer(out);
        m.addTrack(TrackFormat.video(Codec.VP9, 320, 180, null));
        EncodedFrame f = new EncodedFrame(16);
        long[] ticks = {0, 3000, 90000, 93000, 96000, 99000};
        for (int i = 0; i < ticks.length; i++) {
            byte[] d = {(byte) i};
            m.write(0, f.set(d, 0, 1).ptsMicros(ticks[i] * 1_000_000 / 90_000).keyframe(i == 0 || i == 2));
        }
        m.close();
        assertThat(le(out.bytes(), 24, 4)).isEqualTo(99000 + 3000); // was 99000 + 99000 / 5
    }
}
