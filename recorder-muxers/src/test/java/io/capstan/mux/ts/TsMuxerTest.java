package io.capstan.mux.ts;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.MemoryOutput;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.testing.TsReader;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Structure of the written transport stream, read back with the independent {@link TsReader}. */
class TsMuxerTest {

    static final long OFFSET = 126_000; // 1.4 s default start offset, in 90 kHz ticks
    static final long MASK_33 = (1L << 33) - 1;
    static final byte[] SPS = {0x67, 0x42, (byte) 0xC0, 0x1E, (byte) 0xDA, 0x02, (byte) 0x80, (byte) 0xBF, 0x10};
    static final byte[] PPS = {0x68, (byte) 0xCE, 0x3C, (byte) 0x80};
    static final byte[] ASC_LC_48K_STEREO = {0x11, (byte) 0x90}; // AOT 2, sfi 3, channel configuration 2

    static long ticks(long micros) {
        return (OFFSET + Math.floorDiv(micros * 9 + 50, 100)) & MASK_33;
    }

    static byte[] avcC() {
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        c.writeBytes(new byte[] {1, SPS[1], SPS[2], SPS[3], (byte) 0xFF, (byte) 0xE1, 0, (byte) SPS.length});
        c.writeBytes(SPS);
        c.writeBytes(new byte[] {1, 0, (byte) PPS.length});
        c.writeBytes(PPS);
        return c.toByteArray();
    }

    /** Length-prefixed NAL units (4-byte lengths). */
    static byte[] avcc(byte[]... nals) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] n : nals) {
            o.writeBytes(ByteBuffer.allocate(4).putInt(n.length).array());
            o.writeBytes(n);
        }
        return o.toByteArray();
    }

    static byte[] nal(int header, int size, int seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        b[0] = (byte) header;
        for (int i = 1; i < size; i++) {
            if (b[i] == 0) {
                b[i] = 1; // keep the synthetic payload free of start code emulation
            }
        }
        return b;
    }

    /** 30 fps H.264, keyframe every {@code gop}, sizes varying from 100 B to ~60 KB. */
    static List<TestMedia.Frame> h264Frames(int n, int gop) {
        List<TestMedia.Frame> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean key = i % gop == 0;
            int size = key ? 20_000 + i * 50 : 100 + (i * 997) % 6000;
            out.add(new TestMedia.Frame(avcc(nal(key ? 0x65 : 0x41, size, i)), i * 1_000_000L / 30, key));
        }
        return out;
    }

    static List<TestMedia.Frame> aacFrames(int n) {
        List<TestMedia.Frame> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] raw = new byte[150 + (i * 31) % 400];
            new Random(1000 + i).nextBytes(raw);
            out.add(new TestMedia.Frame(raw, i * 1024L * 1_000_000 / 48_000, true));
        }
        return out;
    }

    static List<TestMedia.Frame> opusFrames(int n, long startMicros) {
        List<TestMedia.Frame> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] p = new byte[60 + (i * 13) % 300];
            new Random(5000 + i).nextBytes(p);
            p[0] = (byte) 0xFC; // config 31 (CELT FB 20 ms), stereo, code 0
            out.add(new TestMedia.Frame(p, startMicros + i * 20_000L, true));
        }
        return out;
    }

    static byte[] mux(TsMuxer.Options options, List<TrackFormat> formats, List<Feed.Item> items) throws IOException {
        MemoryOutput out = new MemoryOutput();
        TsMuxer m = new TsMuxer(out, options);
        for (TrackFormat f : formats) {
            m.addTrack(f);
        }
        Feed.write(m, items);
        m.close();
        m.close();
        assertThat(m.bytesWritten()).isEqualTo(out.size());
        return out.bytes();
    }

    static final TrackFormat H264 = TrackFormat.video(Codec.H264, 320, 240, avcC());
    static final TrackFormat AAC = TrackFormat.audio(Codec.AAC, 48_000, 48_000, 2, ASC_LC_48K_STEREO);
    static final TrackFormat OPUS = TrackFormat.audio(Codec.OPUS, 48_000, 48_000, 2, null);

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void h264PlusAac_programTimestampsAndAccessUnitsAreExact() throws IOException {
        List<TestMedia.Frame> video = h264Frames(90, 30);
        List<TestMedia.Frame> audio = aacFrames(140);
        byte[] ts = mux(TsMuxer.Options.DEFAULT, List.of(H264, AAC), Feed.interleave(video, audio));
        TsReader r = TsReader.read(ts, false);

        assertThat(r.packets * 188).isEqualTo(ts.length);
        assertThat(r.programNumber).isEqualTo(1);
        assertThat(r.pmtPid).isEqualTo(0x1000);
        assertThat(r.pcrPid).isEqualTo(0x100);
        assertThat(r.streams).extracting(TsReader.EsInfo::streamType, TsReader.EsInfo::pid)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0x1B, 0x100),
                        org.assertj.core.groups.Tuple.tuple(0x0F, 0x101));
        // the file opens with PAT, PMT, then the first keyframe (with its PCR)
        assertThat(r.order.subList(0, 4)).containsExactly("PAT", "PMT", "PCR:256", "PES:256");

        List<TsReader.Pes> v = r.pes(0x100);
        assertThat(v).hasSize(90);
        for (int i = 0; i < 90; i++) {
            TsReader.Pes p = v.get(i);
            TestMedia.Frame f = video.get(i);
            assertThat(p.streamId()).isEqualTo(0xE0);
            assertThat(p.pts()).as("video pts %d", i).isEqualTo(ticks(f.ptsMicros()));
            assertThat(p.dts()).isEqualTo(p.pts());
            assertThat(p.randomAccess()).as("RAI on frame %d", i).isEqualTo(f.key());
            assertThat(p.dataAlignment()).isTrue();
            assertThat(p.complete()).isTrue();
            assertThat(p.payload()).isEqualTo(annexB(f.key(), f.data()));
            if (f.key()) {
                // PAT and PMT right before every keyframe
                int at = indexOfPes(r, p.packetIndex());
                assertThat(r.order.subList(at - 3, at)).containsExactly("PAT", "PMT", "PCR:256");
            }
        }

        List<TsReader.Pes> a = r.pes(0x101);
        List<byte[]> raw = new ArrayList<>();
        for (TsReader.Pes p : a) {
            assertThat(p.streamId()).isEqualTo(0xC0);
            assertThat(p.complete()).isTrue();
            List<byte[]> units = adtsUnits(p.payload());
            TestMedia.Frame first = audio.get(raw.size());
            assertThat(p.pts()).isEqualTo(ticks(first.ptsMicros()));
            raw.addAll(units);
        }
        assertThat(raw).hasSize(audio.size());
        for (int i = 0; i < raw.size(); i++) {
            assertThat(raw.get(i)).isEqualTo(audio.get(i).data());
        }

        assertPcrAndPsiSpacing(r, 3600, 9000);
    }

    @Test
    void h265PlusOpus_streamTypesDescriptorsControlHeadersAndTrim() throws IOException {
        byte[] vps = {0x40, 0x01, 0x0C, 0x01, (byte) 0xFF};
        byte[] sps = {0x42, 0x01, 0x01, 0x01, 0x60};
        byte[] pps = {0x44, 0x01, (byte) 0xC1, 0x72};
        TrackFormat hevc = TrackFormat.video(Codec.H265, 320, 240, hvcC(vps, sps, pps));
        List<TestMedia.Frame> video = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            boolean key = i % 30 == 0;
            // IDR_W_RADL (19) / TRAIL_R (1): 2-byte NAL header, layer 0, tid 1
            byte[] n = nal(key ? 19 << 1 : 1 << 1, key ? 3000 : 500, i);
            n[1] = 1;
            video.add(new TestMedia.Frame(avcc(n), i * 1_000_000L / 30, key));
        }
        List<TestMedia.Frame> audio = opusFrames(100, 0);
        byte[] ts = mux(TsMuxer.Options.DEFAULT, List.of(hevc, OPUS), Feed.interleave(video, audio));
        TsReader r = TsReader.read(ts, false);

        assertThat(r.streams.get(0).streamType()).isEqualTo(0x24);
        assertThat(r.streams.get(1).streamType()).isEqualTo(0x06);
        assertThat(r.streams.get(1).descriptors()).containsExactly(0x05, 4, 'O', 'p', 'u', 's', 0x7F, 2, 0x80, 2);

        List<TsReader.Pes> v = r.pes(0x100);
        assertThat(v).hasSize(60);
        byte[] aud = {0, 0, 0, 1, 0x46, 0x01, 0x50};
        for (int i = 0; i < 60; i++) {
            byte[] nal = Arrays.copyOfRange(video.get(i).data(), 4, video.get(i).data().length);
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            want.writeBytes(aud);
            if (video.get(i).key()) {
                for (byte[] ps : List.of(vps, sps, pps)) {
                    want.writeBytes(new byte[] {0, 0, 0, 1});
                    want.writeBytes(ps);
                }
            }
            want.writeBytes(new byte[] {0, 0, 0, 1});
            want.writeBytes(nal);
            assertThat(v.get(i).payload()).isEqualTo(want.toByteArray());
            assertThat(v.get(i).randomAccess()).isEqualTo(video.get(i).key());
        }

        // Opus: 2 packets (40 ms) per PES, PTS shifted back by the pre-skip (312 samples = 585 ticks), the first
        // packet trims the pre-skip
        List<TsReader.Pes> a = r.pes(0x101);
        int k = 0;
        for (TsReader.Pes p : a) {
            assertThat(p.streamId()).isEqualTo(0xBD);
            assertThat(p.pts()).isEqualTo((ticks(audio.get(k).ptsMicros()) - 585) & MASK_33);
            for (OpusUnit u : opusUnits(p.payload())) {
                assertThat(u.packet()).isEqualTo(audio.get(k).data());
                assertThat(u.startTrim()).isEqualTo(k == 0 ? 312 : -1);
                k++;
            }
        }
        assertThat(k).isEqualTo(100);
        assertThat(a).hasSize(50);
        assertPcrAndPsiSpacing(r, 3600, 9000);
    }

    @Test
    void audioOnly_pcrOnTheAudioPid_spacedAtMost40ms() throws IOException {
        List<TestMedia.Frame> audio = opusFrames(250, 0);
        byte[] ts = mux(TsMuxer.Options.DEFAULT, List.of(OPUS), Feed.interleave(audio));
        TsReader r = TsReader.read(ts, false);
        assertThat(r.pcrPid).isEqualTo(0x100);
        assertThat(r.order.subList(0, 2)).containsExactly("PAT", "PMT");
        assertPcrAndPsiSpacing(r, 3600, 9000);
        assertThat(r.pes(0x100).stream().mapToInt(p -> opusUnits(p.payload()).size()).sum()).isEqualTo(250);
    }

    @Test
    void beforeTheFirstKeyframe_videoIsDropped_audioHeld_fileStartsWithPsiAndTheKeyframe() throws IOException {
        List<TestMedia.Frame> video = new ArrayList<>(h264Frames(60, 30));
        // the stream's first keyframe comes 8 frames late: frames 0..7 are interframes
        for (int i = 0; i < 8; i++) {
            TestMedia.Frame f = video.get(i);
            video.set(i, new TestMedia.Frame(avcc(nal(0x41, 300, i)), f.ptsMicros(), false));
        }
        TestMedia.Frame k = video.get(8);
        video.set(8, new TestMedia.Frame(avcc(nal(0x65, 5000, 8)), k.ptsMicros(), true));
        List<TestMedia.Frame> audio = aacFrames(90);
        MemoryOutput out = new MemoryOutput();
        TsMuxer m = new TsMuxer(out);
        m.addTrack(H264);
        m.addTrack(AAC);
        Feed.write(m, Feed.interleave(video, audio));
        m.close();
        assertThat(m.framesDropped()).isEqualTo(8);
        assertThat(m.framesWritten()).isEqualTo(52 + 90);

        TsReader r = TsReader.read(out.bytes(), false);
        assertThat(r.order.subList(0, 4)).containsExactly("PAT", "PMT", "PCR:256", "PES:256");
        TsReader.Pes first = r.pes(0x100).get(0);
        assertThat(first.pts()).isEqualTo(ticks(video.get(8).ptsMicros()));
        assertThat(first.randomAccess()).isTrue();
        // the held audio follows, from the very first packet on, and no PCR passes its PTS
        assertThat(r.pes(0x101).get(0).pts()).isEqualTo(ticks(0));
        assertThat(r.pes(0x101).stream().mapToInt(p -> adtsUnits(p.payload()).size()).sum()).isEqualTo(90);
        assertPcrAndPsiSpacing(r, 3600, 9000);
    }

    @Test
    void keyframeCarryingItsParameterSets_getsNoSecondCopy() throws IOException {
        byte[] idr = nal(0x65, 800, 1);
        List<TestMedia.Frame> video = List.of(new TestMedia.Frame(avcc(SPS, PPS, idr), 0, true));
        TsReader r = TsReader.read(mux(TsMuxer.Options.DEFAULT, List.of(H264), Feed.interleave(video)), false);
        byte[] payload = r.pes(0x100).get(0).payload();
        assertThat(payload).isEqualTo(concat(new byte[] {0, 0, 0, 1, 9, (byte) 0xF0}, sc(SPS), sc(PPS), sc(idr)));
    }

    @Test
    void inputAccessUnitDelimiters_areReplacedNotDoubled() throws IOException {
        byte[] slice = nal(0x65, 400, 3);
        List<TestMedia.Frame> video = List.of(new TestMedia.Frame(avcc(new byte[] {9, 0x10}, slice), 0, true));
        TsReader r = TsReader.read(mux(TsMuxer.Options.DEFAULT, List.of(H264), Feed.interleave(video)), false);
        assertThat(r.pes(0x100).get(0).payload()).isEqualTo(annexB(true, avcc(slice)));
    }

    @Test
    void timestampsWrapAt33Bits() throws IOException {
        long base = 95_441_000_000L; // 90 kHz ticks + offset cross 2^33 about 1.3 s in
        List<TestMedia.Frame> video = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            video.add(new TestMedia.Frame(avcc(nal(i % 30 == 0 ? 0x65 : 0x41, 200, i)), base + i * 33_333L,
                    i % 30 == 0));
        }
        TsReader r = TsReader.read(mux(TsMuxer.Options.DEFAULT, List.of(H264), Feed.interleave(video)), false);
        List<TsReader.Pes> v = r.pes(0x100);
        int wraps = 0;
        for (int i = 0; i < 60; i++) {
            assertThat(v.get(i).pts()).isEqualTo(ticks(video.get(i).ptsMicros()));
            if (i > 0 && v.get(i).pts() < v.get(i - 1).pts()) {
                wraps++;
            }
        }
        assertThat(wraps).isEqualTo(1);
        assertPcrAndPsiSpacing(r, 3600, 9000);
    }

    @Test
    void malformedFrames_areSkippedAndCounted_withoutWritingAByte() throws IOException {
        MemoryOutput out = new MemoryOutput();
        TsMuxer m = new TsMuxer(out);
        m.addTrack(H264);
        int opus = m.addTrack(OPUS);
        EncodedFrame f = new EncodedFrame(64);
        byte[] bad = avcc(nal(0x65, 100, 1));
        bad[3] = (byte) 200; // NAL length runs past the frame
        m.write(0, f.set(bad, 0, bad.length).keyframe(true).ptsMicros(0));
        m.write(opus, f.set(new byte[] {(byte) 0xFF}, 0, 1).ptsMicros(0)); // code 3 without frame count
        assertThat(m.framesRejected()).isEqualTo(2);
        m.flush();
        assertThat(out.size()).isZero();
        m.close();
        TsReader r = TsReader.read(out.bytes(), false);
        assertThat(r.pes).isEmpty();
        assertThat(r.order).containsExactly("PAT", "PMT");
    }

    @Test
    void flush_writesTheOpenAudioPes() throws IOException {
        MemoryOutput out = new MemoryOutput();
        TsMuxer m = new TsMuxer(out);
        m.addTrack(OPUS);
        Feed.write(m, Feed.interleave(opusFrames(1, 0)));
        m.flush();
        TsReader r = TsReader.read(out.bytes(), false);
        assertThat(r.pes).hasSize(1);
        assertThat(opusUnits(r.pes.get(0).payload())).hasSize(1);
        m.close();
    }

    @Test
    void ioExceptionMidStream_propagates_thenNothingMoreIsWritten_andTheFileIsWholePackets() throws IOException {
        MemoryOutput out = new MemoryOutput().failAfter(200_000);
        TsMuxer m = new TsMuxer(out);
        m.addTrack(H264);
        m.addTrack(AAC);
        List<Feed.Item> items = Feed.interleave(h264Frames(150, 30), aacFrames(230));
        assertThatThrownBy(() -> Feed.write(m, items)).isInstanceOf(IOException.class)
                .hasMessageContaining("injected");
        long size = out.size();
        EncodedFrame f = EncodedFrame.of(1, new byte[100], 10_000_000, 0, true);
        assertThatThrownBy(() -> m.write(1, f)).isInstanceOf(IOException.class)
                .hasMessageContaining("failed earlier");
        m.flush();
        m.close();
        m.close();
        assertThat(out.size()).isEqualTo(size);
        assertThat(size % 188).isZero();
        TsReader r = TsReader.read(out.bytes(), false);
        assertThat(r.pes(0x100)).isNotEmpty();
    }

    @Test
    void shortWrites_giveTheSameBytes_andOutputIsDeterministic() throws IOException {
        List<Feed.Item> items = Feed.interleave(h264Frames(45, 30), aacFrames(70));
        byte[] a = mux(TsMuxer.Options.DEFAULT, List.of(H264, AAC), items);
        MemoryOutput slow = new MemoryOutput().maxPerWrite(100);
        TsMuxer m = new TsMuxer(slow);
        m.addTrack(H264);
        m.addTrack(AAC);
        Feed.write(m, items);
        m.close();
        assertThat(slow.bytes()).isEqualTo(a);
        assertThat(mux(TsMuxer.Options.DEFAULT, List.of(H264, AAC), items)).isEqualTo(a);
    }

    @Test
    void startOffset_movesEveryTimestamp() throws IOException {
        TsMuxer.Options o = new TsMuxer.Options(10_000_000, 40_000, 2_000_000);
        List<TestMedia.Frame> video = h264Frames(10, 30);
        TsReader r = TsReader.read(mux(o, List.of(H264), Feed.interleave(video)), false);
        assertThat(r.pes(0x100).get(3).pts()).isEqualTo(900_000 + Math.floorDiv(video.get(3).ptsMicros() * 9 + 50, 100));
    }

    @Test
    void steadyStateWriting_doesNotAllocate() throws IOException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        TsMuxer m = new TsMuxer(new Discard());
        m.addTrack(H264);
        m.addTrack(AAC);
        EncodedFrame key = EncodedFrame.of(0, avcc(nal(0x65, 30_000, 1)), 0, 0, true);
        EncodedFrame inter = EncodedFrame.of(0, avcc(nal(0x41, 3_000, 2)), 0, 0, false);
        EncodedFrame aac = EncodedFrame.of(1, aacFrames(1).get(0).data(), 0, 0, true);
        long[] n = {0, 0};
        Runnable step = () -> {
            try {
                if (n[0] * 33_333 <= n[1] * 21_333) {
                    EncodedFrame f = n[0] % 30 == 0 ? key : inter;
                    m.write(0, f.ptsMicros(n[0]++ * 33_333));
                } else {
                    m.write(1, aac.ptsMicros(n[1]++ * 21_333));
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        };
        for (int i = 0; i < 20_000; i++) {
            step.run();
        }
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 20_000; i++) {
            step.run();
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated / 20_000.0).as("bytes allocated per frame").isLessThan(1.0);
        m.close();
    }

    @Test
    void factory_rejectsWhatTsCannotHold_andSaysWhatToUse() {
        TsMuxerFactory f = new TsMuxerFactory();
        assertThat(f.container()).isEqualTo(Container.TS);
        assertThat(f.extension(List.of(Codec.H264, Codec.AAC))).isEqualTo("ts");
        assertThat(f.rejectReason(List.of(Codec.H264, Codec.AAC))).isNull();
        assertThat(f.rejectReason(List.of(Codec.H265, Codec.OPUS))).isNull();
        assertThat(f.rejectReason(List.of(Codec.VP8, Codec.OPUS))).startsWith("ts cannot hold VP8")
                .contains("webm");
        assertThat(f.rejectReason(List.of(Codec.AV1))).contains("mp4");
        assertThat(f.rejectReason(List.of(Codec.PCMU))).contains("mkv or mp4");
        assertThat(StandardMuxers.factory(Container.TS)).isInstanceOf(TsMuxerFactory.class);
        assertThat(StandardMuxers.factories()).anyMatch(x -> x instanceof TsMuxerFactory);
        assertThatThrownBy(() -> StandardMuxers.selector(Container.TS, false).select(List.of(Codec.VP9)))
                .hasMessageContaining("ts cannot hold VP9");
        Muxer m = f.create(new MemoryOutput());
        assertThatThrownBy(() -> m.addTrack(TrackFormat.video(Codec.VP8, 1, 1, null)))
                .isInstanceOf(IllegalArgumentException.class);
        // ER AAC LD (object type 23) has no ADTS profile
        assertThatThrownBy(() -> m.addTrack(TrackFormat.audio(Codec.AAC, 48_000, 48_000, 2,
                new byte[] {(byte) 0xB9, (byte) 0x90}))).hasMessageContaining("object type 23");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static int indexOfPes(TsReader r, int packetIndex) {
        // the n-th "PES:256" entry in order corresponds to the n-th video PES
        int nth = 0;
        for (TsReader.Pes p : r.pes(0x100)) {
            if (p.packetIndex() == packetIndex) {
                break;
            }
            nth++;
        }
        int seen = -1;
        for (int i = 0; i < r.order.size(); i++) {
            if (r.order.get(i).equals("PES:256") && ++seen == nth) {
                return i;
            }
        }
        throw new AssertionError("PES not found");
    }

    /** PCR spacing and PSI spacing on the PCR time line, and no PES arrives after its PTS. */
    static void assertPcrAndPsiSpacing(TsReader r, long maxPcrGap, long maxPsiGap) {
        assertThat(r.pcrs).isNotEmpty();
        for (int i = 1; i < r.pcrs.size(); i++) {
            long gap = (r.pcrs.get(i).base() - r.pcrs.get(i - 1).base()) & MASK_33;
            assertThat(gap).as("PCR gap before packet %d", r.pcrs.get(i).packetIndex()).isLessThanOrEqualTo(maxPcrGap);
            assertThat(r.pcrs.get(i).pid()).isEqualTo(r.pcrPid);
        }
        long[] pcrAt = new long[r.packets];
        int k = 0;
        long cur = -1;
        for (int i = 0; i < r.packets; i++) {
            while (k < r.pcrs.size() && r.pcrs.get(k).packetIndex() <= i) {
                cur = r.pcrs.get(k++).base();
            }
            pcrAt[i] = cur;
        }
        for (int i = 1; i < r.patPackets.size(); i++) {
            long a = pcrAt[r.patPackets.get(i - 1)];
            long b = pcrAt[r.patPackets.get(i)];
            if (a >= 0) {
                assertThat((b - a) & MASK_33).as("PSI gap at packet %d", r.patPackets.get(i)).isLessThanOrEqualTo(maxPsiGap);
            }
        }
        for (TsReader.Pes p : r.pes) {
            long pcr = pcrAt[p.packetIndex()];
            if (pcr >= 0) {
                long lead = (p.pts() - pcr) & MASK_33;
                assertThat(lead).as("PTS - PCR of the PES at packet %d", p.packetIndex()).isLessThan(90_000 * 5);
            }
        }
    }

    static byte[] annexB(boolean key, byte[] avcc) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[] {0, 0, 0, 1, 9, (byte) 0xF0});
        if (key) {
            o.writeBytes(sc(SPS));
            o.writeBytes(sc(PPS));
        }
        int p = 0;
        while (p < avcc.length) {
            int n = ByteBuffer.wrap(avcc, p, 4).getInt();
            p += 4;
            if ((avcc[p] & 0x1F) != 9) {
                o.writeBytes(sc(Arrays.copyOfRange(avcc, p, p + n)));
            }
            p += n;
        }
        return o.toByteArray();
    }

    static byte[] sc(byte[] nal) {
        return concat(new byte[] {0, 0, 0, 1}, nal);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    static byte[] hvcC(byte[] vps, byte[] sps, byte[] pps) {
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        byte[] head = new byte[22];
        head[0] = 1;
        head[21] = 0x0F; // lengthSizeMinusOne 3
        c.writeBytes(head);
        c.write(3);
        int[] types = {32, 33, 34};
        byte[][] sets = {vps, sps, pps};
        for (int i = 0; i < 3; i++) {
            c.write(0x80 | types[i]);
            c.writeBytes(new byte[] {0, 1, 0, (byte) sets[i].length});
            c.writeBytes(sets[i]);
        }
        return c.toByteArray();
    }

    /** ADTS frames (ISO/IEC 14496-3 1.A.3.2) of a PES payload; checks the header against 48 kHz stereo LC. */
    static List<byte[]> adtsUnits(byte[] d) {
        List<byte[]> out = new ArrayList<>();
        int p = 0;
        while (p < d.length) {
            assertThat(d[p] & 0xFF).isEqualTo(0xFF);
            assertThat(d[p + 1] & 0xF6).isEqualTo(0xF0); // sync, ID 0, layer 0
            assertThat(d[p + 1] & 1).isEqualTo(1);       // protection_absent
            assertThat((d[p + 2] & 0xC0) >> 6).isEqualTo(1);   // profile LC
            assertThat((d[p + 2] & 0x3C) >> 2).isEqualTo(3);   // 48 kHz
            assertThat((d[p + 2] & 1) << 2 | (d[p + 3] & 0xC0) >> 6).isEqualTo(2);
            int len = (d[p + 3] & 3) << 11 | (d[p + 4] & 0xFF) << 3 | (d[p + 5] & 0xE0) >> 5;
            assertThat((d[p + 5] & 0x1F) << 6 | (d[p + 6] & 0xFC) >> 2).isEqualTo(0x7FF);
            assertThat(d[p + 6] & 3).isZero();
            out.add(Arrays.copyOfRange(d, p + 7, p + len));
            p += len;
        }
        assertThat(p).isEqualTo(d.length);
        return out;
    }

    record OpusUnit(int startTrim, int endTrim, byte[] packet) {
    }

    /** opus_access_unit()s of a PES payload (Opus-in-TS: 0x3FF prefix, flags, au_size, trims, packet). */
    static List<OpusUnit> opusUnits(byte[] d) {
        List<OpusUnit> out = new ArrayList<>();
        int p = 0;
        while (p < d.length) {
            int hdr = (d[p] & 0xFF) << 8 | (d[p + 1] & 0xFF);
            assertThat(hdr >> 5).isEqualTo(0x3FF);
            boolean startTrim = (hdr & 0x10) != 0;
            boolean endTrim = (hdr & 0x08) != 0;
            assertThat(hdr & 0x07).as("control extension / reserved").isZero();
            p += 2;
            int size = 0;
            int b;
            do {
                b = d[p++] & 0xFF;
                size += b;
            } while (b == 255);
            int st = -1;
            int et = -1;
            if (startTrim) {
                st = ((d[p] & 0xFF) << 8 | (d[p + 1] & 0xFF)) & 0x1FFF;
                p += 2;
            }
            if (endTrim) {
                et = ((d[p] & 0xFF) << 8 | (d[p + 1] & 0xFF)) & 0x1FFF;
                p += 2;
            }
            out.add(new OpusUnit(st, et, Arrays.copyOfRange(d, p, p + size)));
            p += size;
        }
        assertThat(p).isEqualTo(d.length);
        return out;
    }

    /** A channel that accepts and forgets everything. */
    static final class Discard implements WritableByteChannel {
        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
