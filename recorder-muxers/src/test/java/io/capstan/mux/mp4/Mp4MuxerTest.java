package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.OpusPackets;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.MemoryOutput;
import io.capstan.mux.testing.Mp4Reader;
import io.capstan.mux.testing.TestMedia;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * MP4 muxer round trips through an independent reader (isoparser), fragmenting, errors, the moov-at-end fallback
 * and the allocation/heap behaviour; synthetic frames, no external tools needed.
 */
class Mp4MuxerTest {

    @TempDir
    Path dir;

    /** An avcC with a made-up SPS/PPS (baseline, level 3.0); the muxer does not decode the stream. */
    static final byte[] AVCC = {1, 66, (byte) 0xC0, 30, (byte) 0xFF, (byte) 0xE1, 0, 4, 0x67, 66, (byte) 0xC0, 30,
            1, 0, 2, 0x68, (byte) 0xCE};
    static final TrackFormat VIDEO = TrackFormat.video(Codec.H264, 640, 480, AVCC);
    static final TrackFormat OPUS = TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, OpusPackets.buildHead(2, 312, 48000));

    /** Video at 30 fps (keyframe every {@code gop}), Opus 20 ms packets (TOC 0x78: 20 ms), random sizes. */
    static List<Feed.Item> synthetic(double seconds, int gop, long audioStartMicros, long seed) {
        Random r = new Random(seed);
        List<TestMedia.Frame> v = new ArrayList<>();
        for (int i = 0; i < seconds * 30; i++) {
            byte[] b = new byte[200 + r.nextInt(3000)];
            r.nextBytes(b);
            v.add(new TestMedia.Frame(b, i * 1_000_000L / 30, i % gop == 0));
        }
        List<TestMedia.Frame> a = new ArrayList<>();
        for (long t = audioStartMicros; t < seconds * 1_000_000; t += 20_000) {
            byte[] b = new byte[40 + r.nextInt(100)];
            r.nextBytes(b);
            b[0] = 0x78;
            a.add(new TestMedia.Frame(b, t, true));
        }
        return Feed.interleave(v, a);
    }

    private static Mp4Muxer write(MemoryOutput out, Mp4Muxer.Options o, List<Feed.Item> items) throws IOException {
        Mp4Muxer m = Mp4Muxer.progressive(out, o);
        m.addTrack(VIDEO);
        m.addTrack(OPUS);
        Feed.write(m, items, 90000, 48000);
        return m;
    }

    private Path save(MemoryOutput out, String name) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, out.bytes());
        Feed.keep(f);
        return f;
    }

    @Test
    void roundTrip_isoparserSeesEverySampleWithItsBytesDurationAndSyncFlag() throws Exception {
        List<Feed.Item> items = synthetic(5, 30, 120_000, 1);
        MemoryOutput out = new MemoryOutput().maxPerWrite(1000); // short writes everywhere
        Mp4Muxer m = write(out, Mp4Fixtures.OPTIONS, items);
        m.close();
        assertThat(m.framesWritten()).isEqualTo(items.size());
        Path f = save(out, "roundtrip.mp4");
        Mp4Reader.Movie movie = Mp4Reader.read(f);
        assertThat(movie.fragmented()).isFalse();
        assertThat(movie.topLevel().subList(0, 4)).containsExactly("ftyp", "free", "moov", "free");
        for (int track = 0; track < 2; track++) {
            int t = track;
            List<TestMedia.Frame> in = items.stream().filter(i -> i.track() == t).map(Feed.Item::frame).toList();
            Mp4Reader.Track mt = movie.tracks().get(track);
            assertThat(mt.samples()).hasSize(in.size());
            long clock = track == 0 ? 90000 : 48000;
            for (int i = 0; i < in.size(); i++) {
                Mp4Reader.Sample s = mt.samples().get(i);
                assertThat(Mp4Reader.bytes(f, s)).as("track %d sample %d", track, i).isEqualTo(in.get(i).data());
                assertThat(s.sync()).isEqualTo(in.get(i).key());
                if (i + 1 < in.size()) {
                    long d = (in.get(i + 1).ptsMicros() - in.get(i).ptsMicros()) * clock / 1_000_000;
                    assertThat(s.duration()).isBetween(d - 1, d + 1);
                }
            }
        }
        Mp4Reader.Track audio = movie.track("soun");
        assertThat(audio.edits()).containsExactly(new Mp4Reader.Edit(120, -1),
                new Mp4Reader.Edit(audio.trackDuration() - 120, 312));
        assertThat(movie.track("vide").edits()).containsExactly(new Mp4Reader.Edit(5000, 0));
        assertThat(movie.track("vide").width()).isEqualTo(640);
        assertThat(movie.duration()).isEqualTo(5000);
        // deterministic: same input, same clock, same bytes
        MemoryOutput again = new MemoryOutput();
        write(again, Mp4Fixtures.OPTIONS, items).close();
        assertThat(again.bytes()).isEqualTo(out.bytes());
    }

    @Test
    void fragments_cutEverySecondOnTime_withASingleKeyframe() throws Exception {
        MemoryOutput out = new MemoryOutput();
        Mp4Muxer m = write(out, Mp4Fixtures.OPTIONS, synthetic(10, 100_000, 0, 2)); // one keyframe in 10 s
        assertThat(m.fragmentsWritten()).isGreaterThanOrEqualTo(9);
        m.close();
        assertThat(m.fragmentsWritten()).isBetween(10, 11);
        // the fMP4 view: each fragment holds at most 1 s (+ one frame) of video, and later ones start non-sync
        MemoryOutput frag = new MemoryOutput();
        Mp4Muxer fm = Mp4Muxer.fragmented(frag, Mp4Fixtures.OPTIONS);
        fm.addTrack(VIDEO);
        fm.addTrack(OPUS);
        Feed.write(fm, synthetic(10, 100_000, 0, 2), 90000, 48000);
        fm.close();
        Mp4Reader.Movie movie = Mp4Reader.read(save(frag, "frag.mp4"));
        assertThat(movie.topLevel().stream().filter("moof"::equals).count()).isBetween(10L, 11L);
        List<Mp4Reader.Sample> v = movie.track("vide").samples();
        assertThat(v).hasSize(300);
        assertThat(v.stream().filter(Mp4Reader.Sample::sync).count()).isEqualTo(1);
    }

    @Test
    void reserveTooSmall_moovGoesAfterTheMedia_andIsReported() throws Exception {
        MemoryOutput out = new MemoryOutput();
        Mp4Muxer m = write(out, Mp4Fixtures.OPTIONS.withReserveBytes(64), synthetic(3, 30, 0, 3));
        m.close();
        assertThat(m.moovAtEnd()).isTrue();
        assertThat(m.finalizeResult().moovAtEnd()).isTrue();
        Mp4Reader.Movie movie = Mp4Reader.read(save(out, "moov_at_end.mp4"));
        assertThat(movie.topLevel().get(movie.topLevel().size() - 1)).isEqualTo("moov");
        assertThat(movie.topLevel().indexOf("moov")).isGreaterThan(movie.topLevel().indexOf("mdat"));
        assertThat(movie.track("vide").samples()).hasSize(90);
        assertThat(m.bytesWritten()).isEqualTo(out.size());
    }

    @Test
    void ioErrorMidStream_isAnIOException_andWhatWasWrittenStaysRecoverable() throws Exception {
        List<Feed.Item> items = synthetic(6, 30, 0, 4);
        Mp4Muxer.Options options = Mp4Fixtures.OPTIONS.withReserveBytes(8192);
        MemoryOutput probe = new MemoryOutput();
        write(probe, options, items).close();
        MemoryOutput out = new MemoryOutput().failAfter(probe.size() / 2);
        Mp4Muxer m = Mp4Muxer.progressive(out, options);
        m.addTrack(VIDEO);
        m.addTrack(OPUS);
        assertThatThrownBy(() -> Feed.write(m, items, 90000, 48000)).isInstanceOf(IOException.class)
                .hasMessageContaining("injected failure");
        EncodedFrame f = EncodedFrame.of(0, new byte[10], 9_000_000, 810_000, false);
        assertThatThrownBy(() -> m.write(0, f)).isInstanceOf(IOException.class)
                .hasMessageContaining("earlier output error");
        m.close(); // no-op: never makes the file worse
        Path part = save(out, "failed.mp4");
        byte[] before = Files.readAllBytes(part);
        Mp4Recovery.Result r = Mp4Recovery.recover(part);
        assertThat(r.fragments()).isGreaterThanOrEqualTo(2);
        Mp4Reader.Movie movie = Mp4Reader.read(part);
        assertThat(movie.fragmented()).isFalse();
        List<Mp4Reader.Sample> v = movie.track("vide").samples();
        assertThat(v.size()).isBetween(30, 180);
        // every recovered sample is the input frame, byte for byte
        List<TestMedia.Frame> in = items.stream().filter(i -> i.track() == 0).map(Feed.Item::frame).toList();
        for (int i = 0; i < v.size(); i++) {
            assertThat(Mp4Reader.bytes(part, v.get(i))).isEqualTo(in.get(i).data());
        }
        assertThat(r.moovAtEnd()).isFalse();
        assertThat(before.length - r.truncatedBytes()).isLessThanOrEqualTo(r.fileSize());
    }

    @Test
    void factory_acceptsEveryCodecItMaps_andNamesAudioOnlyFilesM4a() {
        assertThat(new Mp4MuxerFactory().rejectReason(List.of())).contains("at least one track");
        assertThat(new Mp4MuxerFactory().rejectReason(List.of(Codec.VP8, Codec.OPUS))).isNull();
        assertThat(new Mp4MuxerFactory().rejectReason(List.of(Codec.H265, Codec.AAC))).isNull();
        assertThat(new Mp4MuxerFactory().extension(List.of(Codec.OPUS))).isEqualTo("m4a");
    }

    @Test
    void formatChange_h264KeepsTheFile_audioConfigChangeAsksForANewOne() throws Exception {
        MemoryOutput out = new MemoryOutput();
        Mp4Muxer m = write(out, Mp4Fixtures.OPTIONS, synthetic(2, 30, 0, 5));
        assertThat(m.formatChanged(0, VIDEO)).isTrue(); // unchanged
        assertThat(m.formatChanged(0, VIDEO.withResolution(1280, 720))).isTrue();
        assertThat(m.formatChanged(1, OPUS.withCodecPrivate(OpusPackets.buildHead(1, 312, 48000)))).isFalse();
        m.close();
        Mp4Reader.Movie movie = Mp4Reader.read(save(out, "changed.mp4"));
        assertThat(movie.track("vide").entryType()).isEqualTo("avc3");
        assertThat(movie.track("vide").width()).isEqualTo(1280);
    }

    @Test
    void oneHourRecording_heapDoesNotGrow_noAllocationPerFrame_fastFinalize() throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        io.capstan.mux.testing.FileOutput out = new io.capstan.mux.testing.FileOutput(dir.resolve("hour.mp4"));
        Mp4Muxer m = Mp4Muxer.progressive(out, Mp4Fixtures.OPTIONS);
        m.addTrack(VIDEO);
        m.addTrack(OPUS);
        EncodedFrame key = EncodedFrame.of(0, new byte[120], 0, 0, true);
        EncodedFrame inter = EncodedFrame.of(0, new byte[60], 0, 0, false);
        EncodedFrame audio = EncodedFrame.of(1, new byte[20], 0, 0, true);
        audio.array()[0] = 0x78;
        long v = 0;
        long a = 0;
        long measuredFrom = -1;
        long allocated = 0;
        long framesMeasured = 0;
        long seconds = 3600;
        while (v < seconds * 30) {
            if (v == 60 * 30 && measuredFrom < 0) {         // after one minute (buffers at their final size)
                measuredFrom = mx.getCurrentThreadAllocatedBytes();
                framesMeasured = -(v + a);
            }
            if (v * 1_000_000 / 30 <= a * 20_000) {
                EncodedFrame f = v % 3000 == 0 ? key : inter;
                f.ptsMicros(v * 1_000_000 / 30).rtpTimestamp(v * 3000);
                m.write(0, f);
                v++;
            } else {
                audio.ptsMicros(a * 20_000).rtpTimestamp(a * 960);
                m.write(1, audio);
                a++;
            }
        }
        allocated = mx.getCurrentThreadAllocatedBytes() - measuredFrom;
        framesMeasured += v + a;
        // per fragment (once a second) only a 4-byte patch wrapper may allocate; nothing per frame
        assertThat((double) allocated / framesMeasured).as("bytes allocated per frame").isLessThan(1.0);
        long t0 = System.nanoTime();
        m.close();
        long finalizeMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("1 h finalize (temp file, first run in this JVM, untimed by JMH): " + finalizeMillis + " ms, "
                + m.finalizeResult());
        assertThat(m.moovAtEnd()).isFalse();
        assertThat(m.finalizeResult().samples()).isEqualTo(v + a);
        assertThat(m.fragmentsWritten()).isBetween(3600, 3602);
        out.close();
        Mp4Reader.Movie movie = Mp4Reader.read(dir.resolve("hour.mp4"));
        assertThat(movie.topLevel().indexOf("moov")).isLessThan(movie.topLevel().indexOf("mdat"));
        assertThat(movie.track("vide").samples()).hasSize((int) v);
        assertThat(movie.duration()).isBetween(3_599_000L, 3_601_000L);
    }

    /**
     * Found by the impairment matrix (VP8, 20 % loss, MP4): frames at 0, 33, 67 ms, a GOP dropped while waiting for
     * a keyframe, then a keyframe at 2 s as the last frame. The last sample lasts one frame period (3000 ticks), not
     * the previous sample's duration (which spans the 1.93 s gap), so the track ends at 2.033 s.
     */
    @Test
    void lastSample_afterAGapOfDroppedFrames_lastsOneFramePeriod() throws Exception {
        long[] pts = {0, 33_333, 66_667, 2_000_000};
        List<TestMedia.Frame> frames = new java.util.ArrayList<>();
        for (int i = 0; i < pts.length; i++) {
            frames.add(new TestMedia.Frame(new byte[] {0, 0, 0, 2, 0x65, (byte) i}, pts[i], i == 0 || i == 3));
        }
        MemoryOutput out = new MemoryOutput();
        Mp4Muxer m = Mp4Muxer.progressive(out, Mp4Fixtures.OPTIONS);
        m.addTrack(VIDEO);
        Feed.write(m, 0, frames);
        m.close();
        Mp4Reader.Track video = Mp4Reader.read(save(out, "gap.mp4")).track("vide");
        // (microsecond pts give 2999 / 3001 ticks around 3000)
        assertThat(video.samples().get(2).duration()).isEqualTo(174000L);
        assertThat(video.samples().get(3).duration()).isBetween(2999L, 3001L); // was 174000
        assertThat(video.mediaDuration()).isBetween(182998L, 183002L);
    }
}
