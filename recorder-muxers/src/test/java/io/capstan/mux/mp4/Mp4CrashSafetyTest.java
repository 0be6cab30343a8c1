package io.capstan.mux.mp4;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.JournalingOutput;
import io.capstan.mux.testing.Mp4Reader;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.testing.Tools;
import io.capstan.testing.MediaTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A recording killed at any moment: the unfinished file (what FileSystemSink leaves as NAME.part) is cut at many
 * random points; ffmpeg must decode each cut file without a single error up to its last complete fragment, and
 * {@link Mp4Recovery} must make each a finalized, moov-first file with the same frames.
 */
class Mp4CrashSafetyTest {

    @TempDir
    Path dir;

    @Test
    void killedAnywhere_decodesUpToLastFragment_thenRecovers() throws Exception {
        // 10 s of H.264 with a single keyframe (a WebRTC sender with a 100 s keyframe interval) + Opus
        Mp4Fixtures.Video v = Mp4Fixtures.h264(dir, 10, 30, 1000);
        assertThat(v.frames().stream().filter(TestMedia.Frame::key).count()).isEqualTo(1);
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(dir, 10, 2));
        List<TrackFormat> formats = List.of(v.format(), TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head()));
        Path part = dir.resolve("killed.mp4.part");
        JournalingOutput journal = new JournalingOutput();
        Mp4Muxer m = Mp4Muxer.progressive(journal, Mp4Fixtures.OPTIONS);
        for (TrackFormat f : formats) {
            m.addTrack(f);
        }
        Feed.write(m, Feed.interleave(v.frames(), opus.packets()), Mp4Fixtures.clocks(formats));
        // cut on time, not on keyframes: a fragment per second although there is only one keyframe
        assertThat(m.fragmentsWritten()).isGreaterThanOrEqualTo(9);
        byte[] full = journal.bytes();
        Files.write(part, full);
        Feed.keep(part);
        // the unfinished file as it stands plays completely up to its last fragment
        Tools.assertDecodesCleanly(part);

        // where each complete fragment ends and how many video samples the file holds up to there
        List<long[]> fragmentEnds = fragmentEnds(full); // {end offset, video samples so far, video end 90 kHz}
        assertThat(fragmentEnds).hasSizeGreaterThanOrEqualTo(9);
        long headerEnd = fragmentStart(full);

        // kill points: a number of bytes handed to the output (the write in progress is cut in the middle)
        Random rnd = new Random(20240501);
        List<Long> kills = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            kills.add(headerEnd + (long) (rnd.nextDouble() * (journal.bytesWritten() - headerEnd)));
        }
        for (long kill : kills) {
            byte[] state = journal.stateAfter(kill);
            long cut = state.length;
            Path f = dir.resolve("killed_" + kill + ".mp4");
            Files.write(f, state);
            long[] last = {0, 0, 0};
            for (long[] e : fragmentEnds) {
                if (e[0] <= cut) {
                    last = e;
                }
            }
            long lastMediaEnd = 0;   // 90 kHz end of the media bytes before the cut (what a perfect reader could show)
            for (long[] e : fragmentEnds) {
                lastMediaEnd = e[0] <= cut + (e[0] - prevEnd(fragmentEnds, e)) ? e[2] : lastMediaEnd;
            }
            if (last[1] == 0) {
                continue;       // cut inside the first fragment: nothing playable yet (< 1 s recorded)
            }
            assertThat(MediaTools.decodeErrors(f)).as("decode errors, cut at " + cut).isEmpty();
            Map<String, String> vs = Tools.stream(MediaTools.probeStreams(f), "video");
            assertThat(Long.parseLong(vs.get("nb_read_frames"))).as("frames, cut at " + cut).isEqualTo(last[1]);
            // within ~1 s (one fragment) of what had been written when the process died
            assertThat(lastMediaEnd - last[2]).as("media lost at cut " + cut).isLessThanOrEqualTo(90_000 + 3_000);

            Mp4Recovery.Result r = Mp4Recovery.recover(f);
            assertThat(r.alreadyFinalized()).isFalse();
            assertThat(r.moovAtEnd()).isFalse();
            Mp4ConformanceTest.assertMoovFirst(f);
            Map<String, String> rv = Tools.stream(Tools.assertDecodesCleanly(f), "video");
            assertThat(Long.parseLong(rv.get("nb_read_frames"))).isEqualTo(last[1]);
            byte[] once = Files.readAllBytes(f);
            assertThat(Mp4Recovery.recover(f).alreadyFinalized()).isTrue();
            assertThat(Files.readAllBytes(f)).isEqualTo(once);
        }
    }

    @Test
    void killedDuringFinalization_everyStepIsPlayableAndRecoverable() throws Exception {
        Mp4Fixtures.Video v = Mp4Fixtures.h264(dir, 4, 30, 30);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 4));
        List<TrackFormat> formats = List.of(v.format(),
                TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc()));
        for (boolean smallReserve : new boolean[] {false, true}) {
            JournalingOutput journal = new JournalingOutput();
            Mp4Muxer m = Mp4Muxer.progressive(journal,
                    smallReserve ? Mp4Fixtures.OPTIONS.withReserveBytes(64) : Mp4Fixtures.OPTIONS);
            for (TrackFormat f : formats) {
                m.addTrack(f);
            }
            Feed.write(m, Feed.interleave(v.frames(), aac.frames()), Mp4Fixtures.clocks(formats));
            m.flush();
            long beforeClose = journal.bytesWritten();
            m.close();
            assertThat(m.moovAtEnd()).isEqualTo(smallReserve);
            // close() first writes the last fragment (the held frames) and makes it visible with a 4-byte patch;
            // a kill before its mdat is complete loses that fragment, a kill after it loses nothing
            List<Long> ends = journal.writeEnds();
            long lastPatch = -1;
            for (int i = 1; i < ends.size(); i++) {
                if (ends.get(i) > beforeClose && ends.get(i) - ends.get(i - 1) == 4) {
                    lastPatch = ends.get(i);
                    break;
                }
            }
            assertThat(lastPatch).isPositive();
            Path before = dir.resolve("before_close.mp4");
            Files.write(before, journal.stateAfter(beforeClose));
            Mp4Recovery.recover(before);
            String framesBefore = Tools.stream(Tools.assertDecodesCleanly(before), "video").get("nb_read_frames");
            assertThat(Integer.parseInt(framesBefore)).isBetween(110, 119);
            List<Long> kills = new ArrayList<>();
            for (int i = 1; i < ends.size(); i++) {
                long end = ends.get(i);
                if (end > beforeClose) {
                    kills.add(end);            // after each finalization step
                    if (end - ends.get(i - 1) > 4) {
                        kills.add(end - 3);    // in the middle of it
                    }
                }
            }
            // the last fragment (the held frames) is written by close() too: include its states
            assertThat(kills).hasSizeGreaterThan(8);
            for (long kill : kills) {
                Path f = dir.resolve("fin_" + smallReserve + "_" + kill + ".mp4");
                Files.write(f, journal.stateAfter(kill));
                // every intermediate state plays without errors what it shows (fewer frames while the moofs are
                // being retyped, last first), except the instants when no fragment and no final index is visible:
                // after the last moof was retyped and before the commit, or between the two commit writes of a
                // moov at the end; recovery repairs those
                List<String> errors = new ArrayList<>(MediaTools.decodeErrors(f));
                // between the two commit writes of a moov at the end, ffmpeg itself finds the movie box in a free
                // box and says so (then plays the file cleanly)
                errors.removeIf(e -> e.contains("Detected moov in a free or hoov atom"));
                if (!errors.isEmpty()) {
                    assertThat(MediaTools.packets(f, 0)).as("state " + kill + " has packets but " + errors).isEmpty();
                }
                Mp4Recovery.recover(f);
                Map<String, String> vs = Tools.stream(Tools.assertDecodesCleanly(f), "video");
                assertThat(vs.get("nb_read_frames")).as("recovered from kill at " + kill)
                        .isEqualTo(kill >= lastPatch - 4 ? "120" : framesBefore); // a placeholder whose mdat is complete counts
            }
        }
    }

    @Test
    void fragmentedMp4_killedAnywhere_decodesCleanlyUpToLastFragment() throws Exception {
        Mp4Fixtures.Video v = Mp4Fixtures.h264(dir, 5, 30, 1000);
        TestMedia.Aac aac = TestMedia.adtsToRaw(TestMedia.aacAdts(dir, 5));
        List<TrackFormat> formats = List.of(v.format(),
                TrackFormat.audio(Codec.AAC, aac.sampleRate(), aac.sampleRate(), aac.channels(), aac.asc()));
        JournalingOutput journal = new JournalingOutput();
        io.capstan.mux.Muxer m = new FragmentedMp4MuxerFactory(Mp4Fixtures.OPTIONS).create(journal);
        for (TrackFormat f : formats) {
            m.addTrack(f);
        }
        Feed.write(m, Feed.interleave(v.frames(), aac.frames()), Mp4Fixtures.clocks(formats));
        m.close();
        byte[] full = journal.bytes();
        List<long[]> ends = fragmentEnds(full);
        assertThat(ends).hasSizeGreaterThanOrEqualTo(5);
        Random rnd = new Random(7);
        for (int i = 0; i < 8; i++) {
            long kill = fragmentStart(full) + (long) (rnd.nextDouble() * (journal.bytesWritten() - fragmentStart(full)));
            byte[] state = journal.stateAfter(kill);
            long[] last = {0, 0, 0};
            for (long[] e : ends) {
                if (e[0] <= state.length) {
                    last = e;
                }
            }
            if (last[1] == 0) {
                continue;
            }
            Path f = dir.resolve("fmp4_killed_" + kill + ".mp4");
            Files.write(f, state);
            assertThat(MediaTools.decodeErrors(f)).as("fMP4 killed at " + kill).isEmpty();
            Map<String, String> vs = Tools.stream(MediaTools.probeStreams(f), "video");
            assertThat(Long.parseLong(vs.get("nb_read_frames"))).isEqualTo(last[1]);
        }
    }

    private static long prevEnd(List<long[]> ends, long[] e) {
        int i = ends.indexOf(e);
        return i == 0 ? 0 : ends.get(i - 1)[0];
    }

    /** Offset of the first fragment (after ftyp, init moov and the reserve). */
    static long fragmentStart(byte[] f) {
        long p = 0;
        while (p + 8 <= f.length) {
            String type = new String(f, (int) p + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (type.equals("moof")) {
                return p;
            }
            p += u32(f, (int) p);
        }
        return p;
    }

    /** For each complete fragment: {mdat end, video samples up to it, video decode end (90 kHz)}. */
    static List<long[]> fragmentEnds(byte[] f) {
        List<long[]> out = new ArrayList<>();
        long p = 0;
        long videoSamples = 0;
        long videoEnd = 0;
        while (p + 8 <= f.length) {
            int size = u32(f, (int) p);
            String type = new String(f, (int) p + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (size < 8 || p + size > f.length) {
                break;
            }
            if (type.equals("moof")) {
                // traf for track 1 (video): tfhd track_ID 1, tfdt, trun sample_count + durations
                int q = (int) p + 8 + 16;
                while (q < p + size) {
                    int trafSize = u32(f, q);
                    int track = u32(f, q + 8 + 12);
                    if (track == 1) {
                        long tfdt = ((long) u32(f, q + 24 + 12) << 32) | (u32(f, q + 24 + 16) & 0xFFFFFFFFL);
                        int trun = q + 8 + 16 + 20;
                        int n = u32(f, trun + 12);
                        long d = 0;
                        for (int s = 0; s < n; s++) {
                            d += u32(f, trun + 20 + 12 * s) & 0xFFFFFFFFL;
                        }
                        videoSamples += n;
                        videoEnd = tfdt + d;
                    }
                    q += trafSize;
                }
                long mdat = p + size;
                long mdatEnd = mdat + u32(f, (int) mdat);
                if (mdatEnd > f.length) {
                    break;
                }
                out.add(new long[] {mdatEnd, videoSamples, videoEnd});
                p = mdatEnd;
                continue;
            }
            p += size;
        }
        return out;
    }

    static int u32(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }
}
