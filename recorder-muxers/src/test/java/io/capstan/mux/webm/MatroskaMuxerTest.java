package io.capstan.mux.webm;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.OpusPackets;
import io.capstan.mux.testing.EbmlReader;
import io.capstan.mux.testing.EbmlReader.Element;
import io.capstan.mux.testing.MemoryOutput;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.capstan.mux.testing.EbmlReader.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trips through the independent {@link EbmlReader}: structure, frames, timestamps, cues, truncation. */
class MatroskaMuxerTest {

    private static final TrackFormat VP8 = TrackFormat.video(Codec.VP8, 640, 360, null);
    private static final TrackFormat OPUS = TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, null);

    record In(int track, byte[] data, long pts, boolean key) {
    }

    /** 4 s of 30 fps video (keyframe every second) and 20 ms Opus packets, interleaved by pts. */
    static List<In> avInput() {
        Random rnd = new Random(1);
        List<In> in = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            byte[] d = new byte[300 + rnd.nextInt(3000)];
            rnd.nextBytes(d);
            in.add(new In(0, d, i * 1_000_000L / 30, i % 30 == 0));
        }
        for (int i = 0; i < 200; i++) {
            byte[] d = new byte[80 + rnd.nextInt(80)];
            rnd.nextBytes(d);
            d[0] = (byte) 0xFC; // 20 ms CELT
            in.add(new In(1, d, i * 20_000L, true));
        }
        in.sort((a, b) -> a.pts != b.pts ? Long.compare(a.pts, b.pts) : Integer.compare(a.track, b.track));
        return in;
    }

    static MatroskaMuxer mux(MemoryOutput out, DocType type, MatroskaMuxer.Options opts, List<TrackFormat> formats,
                             List<In> in, boolean close) throws IOException {
        MatroskaMuxer m = new MatroskaMuxer(out, type, opts);
        for (TrackFormat f : formats) {
            m.addTrack(f);
        }
        EncodedFrame f = new EncodedFrame(16);
        for (In i : in) {
            m.write(i.track, f.set(i.data, 0, i.data.length).ptsMicros(i.pts).keyframe(i.key).track(i.track));
            Arrays.fill(f.array(), (byte) 0);
        }
        if (close) {
            m.close();
        } else {
            m.flush();
        }
        return m;
    }

    static Element segment(byte[] file) {
        List<Element> top = EbmlReader.parse(file);
        assertThat(top).extracting(Element::id).containsExactly(EBML, SEGMENT);
        return top.get(1);
    }

    @Test
    void roundTrip_framesTimestampsAndHeaders() throws IOException {
        List<In> in = avInput();
        MemoryOutput out = new MemoryOutput();
        mux(out, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8, OPUS), in, true);
        byte[] file = out.bytes();
        List<Element> top = EbmlReader.parse(file);
        assertThat(top.get(0).child(DOC_TYPE).string()).isEqualTo("webm");
        Element seg = segment(file);
        assertThat(seg.size()).as("segment size patched").isEqualTo(file.length - seg.dataOffset());
        assertThat(seg.truncated()).isFalse();

        Element info = seg.child(INFO);
        assertThat(info.child(TIMESTAMP_SCALE).uint()).isEqualTo(1_000_000);
        assertThat(info.child(DURATION).float64()).isEqualTo(4000.0); // last video frame 3967 + 33
        assertThat(info.child(MUXING_APP).string()).isEqualTo("Capstan");

        List<Element> entries = seg.child(TRACKS).all(TRACK_ENTRY);
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).child(CODEC_ID).string()).isEqualTo("V_VP8");
        assertThat(entries.get(0).child(TRACK_UID).uint()).isEqualTo(1);
        assertThat(entries.get(0).child(VIDEO).child(PIXEL_WIDTH).uint()).isEqualTo(640);
        assertThat(entries.get(0).child(VIDEO).child(PIXEL_HEIGHT).uint()).isEqualTo(360);
        assertThat(entries.get(1).child(CODEC_ID).string()).isEqualTo("A_OPUS");
        assertThat(entries.get(1).child(CODEC_PRIVATE).data()).isEqualTo(OpusPackets.buildHead(2, 312, 48000));
        assertThat(entries.get(1).child(CODEC_DELAY).uint()).isEqualTo(6_500_000);
        assertThat(entries.get(1).child(SEEK_PRE_ROLL).uint()).isEqualTo(80_000_000);
        assertThat(entries.get(1).child(AUDIO).child(SAMPLING_FREQUENCY).float64()).isEqualTo(48000.0);
        assertThat(entries.get(1).child(AUDIO).child(CHANNELS).uint()).isEqualTo(2);

        // every frame comes back, in order, with its track, timestamp (ms) and keyframe flag
        List<Element> clusters = seg.all(CLUSTER);
        assertThat(clusters).hasSize(4);
        List<In> back = new ArrayList<>();
        for (Element c : clusters) {
            assertThat(c.size()).as("cluster size patched").isPositive();
            long ts = c.child(TIMESTAMP).uint();
            for (Element b : c.all(SIMPLE_BLOCK)) {
                EbmlReader.Block blk = b.block();
                back.add(new In(blk.track() - 1, blk.frame(), (ts + blk.relativeTimestamp()) * 1000, blk.keyframe()));
            }
            // clusters start at video keyframes
            EbmlReader.Block first = c.all(SIMPLE_BLOCK).stream().map(Element::block).filter(x -> x.track() == 1)
                    .findFirst().orElseThrow();
            assertThat(first.keyframe()).isTrue();
        }
        assertThat(back).hasSize(in.size());
        for (int i = 0; i < in.size(); i++) {
            In a = in.get(i);
            In b = back.get(i);
            assertThat(b.track).isEqualTo(a.track);
            assertThat(b.data).isEqualTo(a.data);
            assertThat(b.pts).isEqualTo(Math.floorDiv(a.pts + 500, 1000) * 1000);
            assertThat(b.key).isEqualTo(a.key);
        }
    }

    @Test
    void seekHeadAndCues_pointAtTheRightElements() throws IOException {
        MemoryOutput out = new MemoryOutput();
        mux(out, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8, OPUS), avInput(), true);
        byte[] file = out.bytes();
        Element seg = segment(file);
        int base = seg.dataOffset();
        List<Element> seeks = seg.child(SEEK_HEAD).all(SEEK);
        assertThat(seeks).hasSize(3);
        for (Element s : seeks) {
            long id = 0;
            for (byte x : s.child(SEEK_ID).data()) {
                id = id << 8 | (x & 0xFF);
            }
            long pos = base + s.child(SEEK_POSITION).uint();
            long at = id;
            assertThat(seg.children()).as("element %x at %d", id, pos)
                    .anyMatch(e -> e.id() == at && e.offset() == pos);
        }
        // Cues sit in the space reserved before the first cluster, one per cluster, each at a keyframe cluster
        Element cues = seg.child(CUES);
        assertThat(cues.offset()).isLessThan(seg.all(CLUSTER).get(0).offset());
        List<Element> points = cues.all(CUE_POINT);
        List<Element> clusters = seg.all(CLUSTER);
        assertThat(points).hasSize(clusters.size());
        for (int i = 0; i < points.size(); i++) {
            Element tp = points.get(i).child(CUE_TRACK_POSITIONS);
            long pos = base + tp.child(CUE_CLUSTER_POSITION).uint();
            Element c = clusters.get(i);
            assertThat(pos).isEqualTo(c.offset());
            assertThat(tp.child(CUE_TRACK).uint()).isEqualTo(1);
            assertThat(points.get(i).child(CUE_TIME).uint()).isEqualTo(c.child(TIMESTAMP).uint());
            assertThat(i * 1000L).isEqualTo(c.child(TIMESTAMP).uint());
        }
    }

    @Test
    void cuesThatDoNotFitTheReserve_goAfterTheClusters() throws IOException {
        MemoryOutput out = new MemoryOutput();
        mux(out, DocType.WEBM, new MatroskaMuxer.Options(5000, 1 << 20, 16), List.of(VP8, OPUS), avInput(), true);
        Element seg = segment(out.bytes());
        List<Element> kids = seg.children();
        assertThat(kids.get(kids.size() - 1).id()).isEqualTo(CUES);
        assertThat(kids.get(kids.size() - 1).all(CUE_POINT)).hasSize(4);
        Element cuesSeek = seg.child(SEEK_HEAD).all(SEEK).get(2);
        assertThat(seg.dataOffset() + cuesSeek.child(SEEK_POSITION).uint()).isEqualTo(kids.get(kids.size() - 1).offset());
    }

    @Test
    void audioOnly_clustersEveryFiveSecondsWithACueEach_andNoVideoRules() throws IOException {
        List<In> in = new ArrayList<>();
        for (int i = 0; i < 600; i++) { // 12 s of 20 ms packets
            in.add(new In(0, new byte[] {(byte) 0xFC, 1, 2, 3}, i * 20_000L, true));
        }
        MemoryOutput out = new MemoryOutput();
        MatroskaMuxer m = mux(out, DocType.MATROSKA, MatroskaMuxer.Options.DEFAULT, List.of(OPUS), in, true);
        Element seg = segment(out.bytes());
        assertThat(seg.all(CLUSTER)).extracting(c -> c.child(TIMESTAMP).uint()).containsExactly(0L, 5000L, 10000L);
        assertThat(seg.child(CUES).all(CUE_POINT)).hasSize(3);
        assertThat(m.framesWritten()).isEqualTo(600);
        assertThat(seg.child(INFO).child(DURATION).float64()).isEqualTo(12000.0);
    }

    @Test
    void videoBeforeTheFirstKeyframe_isDropped_andRepeatedTimestampsAreNudged() throws IOException {
        List<In> in = new ArrayList<>();
        in.add(new In(0, new byte[] {1}, 0, false));
        in.add(new In(0, new byte[] {2}, 33_333, false));
        in.add(new In(0, new byte[] {3}, 66_667, true));
        in.add(new In(0, new byte[] {4}, 66_900, false)); // rounds to the same ms as the frame before
        in.add(new In(0, new byte[] {5}, 100_000, false));
        MemoryOutput out = new MemoryOutput();
        MatroskaMuxer m = mux(out, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8), in, true);
        assertThat(m.droppedBeforeKeyframe()).isEqualTo(2);
        Element c = segment(out.bytes()).child(CLUSTER);
        long ts = c.child(TIMESTAMP).uint();
        assertThat(c.all(SIMPLE_BLOCK)).extracting(b -> ts + b.block().relativeTimestamp())
                .containsExactly(67L, 68L, 100L);
        assertThat(c.all(SIMPLE_BLOCK).get(0).block().keyframe()).isTrue();
    }

    @Test
    void longGapInTime_startsANewCluster_soRelativeTimestampsFitInt16() throws IOException {
        List<In> in = List.of(new In(0, new byte[] {(byte) 0xFC}, 0, true),
                new In(0, new byte[] {(byte) 0xFC}, 20_000, true),
                new In(0, new byte[] {(byte) 0xFC}, 100_000_000, true)); // 100 s later
        MemoryOutput out = new MemoryOutput();
        mux(out, DocType.WEBM, new MatroskaMuxer.Options(30_000, 1 << 20), List.of(OPUS), in, true);
        assertThat(segment(out.bytes()).all(CLUSTER)).extracting(c -> c.child(TIMESTAMP).uint())
                .containsExactly(0L, 100_000L);
    }

    @Test
    void slightlyLateAudioAfterAKeyframeCluster_getsANegativeRelativeTimestamp() throws IOException {
        List<In> in = List.of(new In(0, new byte[] {9}, 0, true), new In(1, new byte[] {(byte) 0xFC}, 0, true),
                new In(0, new byte[] {9}, 1_000_000, true), new In(1, new byte[] {(byte) 0xFC}, 995_000, true));
        MemoryOutput out = new MemoryOutput();
        mux(out, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8, OPUS), in, true);
        Element second = segment(out.bytes()).all(CLUSTER).get(1);
        assertThat(second.child(TIMESTAMP).uint()).isEqualTo(1000);
        assertThat(second.all(SIMPLE_BLOCK).get(1).block().relativeTimestamp()).isEqualTo(-5);
    }

    @Test
    void fileCutOffMidCluster_parsesUpToTheLastCompleteCluster() throws IOException {
        MemoryOutput out = new MemoryOutput();
        mux(out, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8, OPUS), avInput(), false); // killed
        byte[] file = out.bytes();
        Element seg = segment(file);
        assertThat(seg.size()).as("segment size unknown while recording").isEqualTo(-1);
        List<Element> clusters = seg.all(CLUSTER);
        assertThat(clusters).hasSize(4);
        assertThat(clusters.subList(0, 3)).allMatch(c -> c.size() > 0);
        assertThat(clusters.get(3).size()).as("open cluster has unknown size").isEqualTo(-1);

        int cut = clusters.get(2).offset() + (int) (clusters.get(2).size() / 2);
        Element cutSeg = segment(Arrays.copyOf(file, cut));
        List<Element> survived = cutSeg.all(CLUSTER);
        assertThat(survived).hasSize(3);
        assertThat(survived.subList(0, 2)).noneMatch(Element::truncated);
        assertThat(survived.get(2).truncated()).isTrue();
        int blocks = survived.get(0).all(SIMPLE_BLOCK).size() + survived.get(1).all(SIMPLE_BLOCK).size();
        assertThat(blocks).isEqualTo(2 * (30 + 50));
    }

    @Test
    void sameInputSameBytes_andShortWritesChangeNothing() throws IOException {
        MemoryOutput a = new MemoryOutput();
        MemoryOutput b = new MemoryOutput().maxPerWrite(5);
        mux(a, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8, OPUS), avInput(), true);
        mux(b, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8, OPUS), avInput(), true);
        assertThat(b.bytes()).isEqualTo(a.bytes());
    }

    @Test
    void ioException_propagates() {
        MemoryOutput out = new MemoryOutput().failAfter(50_000);
        assertThatThrownBy(() -> mux(out, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8, OPUS),
                avInput(), true)).isInstanceOf(IOException.class).hasMessageContaining("injected");
    }

    @Test
    void webmRefusesNonWebmCodecs_matroskaTakesThem() throws IOException {
        MatroskaMuxer webm = new MatroskaMuxer(new MemoryOutput(), DocType.WEBM, MatroskaMuxer.Options.DEFAULT);
        assertThatThrownBy(() -> webm.addTrack(TrackFormat.video(Codec.H264, 320, 240, new byte[] {1})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("webm cannot hold H264");
        MemoryOutput out = new MemoryOutput();
        MatroskaMuxer mkv = new MatroskaMuxer(out, DocType.MATROSKA, MatroskaMuxer.Options.DEFAULT);
        mkv.addTrack(TrackFormat.video(Codec.H264, 320, 240, new byte[] {1, 2, 3}));
        mkv.addTrack(TrackFormat.audio(Codec.AAC, 48000, 44100, 2, new byte[] {0x12, 0x10}));
        mkv.addTrack(TrackFormat.audio(Codec.PCMA, 8000, 8000, 1, null));
        mkv.addTrack(TrackFormat.video(Codec.H265, 0, 0, new byte[] {1}));
        mkv.close();
        List<Element> entries = segment(out.bytes()).child(TRACKS).all(TRACK_ENTRY);
        assertThat(entries).extracting(e -> e.child(CODEC_ID).string())
                .containsExactly("V_MPEG4/ISO/AVC", "A_AAC", "A_MS/ACM", "V_MPEGH/ISO/HEVC");
        assertThat(entries.get(0).child(CODEC_PRIVATE).data()).containsExactly(1, 2, 3);
        assertThat(entries.get(1).child(AUDIO).child(SAMPLING_FREQUENCY).float64()).isEqualTo(44100.0);
        // WAVEFORMATEX: format tag 6 (A-law), 1 channel, 8000 Hz, 8000 B/s, align 1, 8 bits, cbSize 0
        assertThat(entries.get(2).child(CODEC_PRIVATE).data())
                .containsExactly(6, 0, 1, 0, 0x40, 0x1F, 0, 0, 0x40, 0x1F, 0, 0, 1, 0, 8, 0, 0, 0);
        assertThat(entries.get(3).has(VIDEO)).as("no Video element while the size is unknown").isFalse();
        assertThat(EbmlReader.parse(out.bytes()).get(0).child(DOC_TYPE).string()).isEqualTo("matroska");
    }

    @Test
    void lifecycle_closeIdempotent_noWritesAfterClose() throws IOException {
        MemoryOutput out = new MemoryOutput();
        MatroskaMuxer m = new MatroskaMuxer(out, DocType.WEBM, MatroskaMuxer.Options.DEFAULT);
        m.addTrack(OPUS);
        m.write(0, EncodedFrame.of(0, new byte[] {(byte) 0xFC, 1}, 0, 0, true));
        m.close();
        byte[] once = out.bytes();
        m.close();
        assertThat(out.bytes()).isEqualTo(once);
        assertThat(m.bytesWritten()).isEqualTo(once.length);
        assertThatThrownBy(() -> m.write(0, EncodedFrame.of(0, new byte[] {1}, 0, 0, true)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.addTrack(OPUS)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * Found by the impairment matrix (AV1, 5 % loss): frames at 0 and 33 ms, then a GOP dropped while waiting for
     * a keyframe, then 1000..1100 ms. The last frame lasts one frame period (33 ms), not the mean interval over the
     * gap (220 ms), so Duration is 1133 ms, where the media ends.
     */
    @Test
    void duration_afterAGapOfDroppedFrames_lastFrameLastsOneFramePeriod() throws IOException {
        List<In> in = new ArrayList<>();
        long[] ptsMs = {0, 33, 1000, 1033, 1067, 1100};
        for (int i = 0; i < ptsMs.length; i++) {
            in.add(new In(0, new byte[] {(byte) i, 1, 2, 3}, ptsMs[i] * 1000, i == 0 || i == 2));
        }
        MemoryOutput out = new MemoryOutput();
        mux(out, DocType.WEBM, MatroskaMuxer.Options.DEFAULT, List.of(VP8), in, true);
        assertThat(segment(out.bytes()).child(INFO).child(DURATION).float64()).isEqualTo(1133.0);
    }
}
