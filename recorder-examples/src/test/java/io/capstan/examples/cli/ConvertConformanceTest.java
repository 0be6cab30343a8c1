package io.capstan.examples.cli;

import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

/**
 * The CLI end to end on the project's own captures (recorder-core/src/test/resources/fixtures, made from real
 * encoders by scripts/make-fixtures.sh): every file written is decoded by ffmpeg with zero errors and checked
 * against the capture's truth file (frames, resolution, duration) and by mkvinfo / opusinfo / oggz-validate.
 */
class ConvertConformanceTest {

    static final Path FIXTURES = Path.of("../recorder-core/src/test/resources/fixtures");

    @TempDir
    Path out;

    record Result(int exit, String stdout, String stderr, Object report) {
    }

    Result convert(String name, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("convert", "--sdp", FIXTURES.resolve(name + ".sdp").toString(),
                "--pcap", FIXTURES.resolve(name + ".pcap").toString(), "--out", out.toString(),
                "--report", out.resolve("report.json").toString()));
        args.addAll(List.of(extra));
        return run(args.toArray(new String[0]));
    }

    Result run(String... args) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = new CapstanCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)).run(args);
        Path rp = out.resolve("report.json");
        Object rep = Files.exists(rp) ? MiniJson.parse(Files.readString(rp)) : null;
        return new Result(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8), rep);
    }

    static Object truth(String name) throws IOException {
        return MiniJson.parse(Files.readString(FIXTURES.resolve(name + ".truth.json")));
    }

    List<Path> mediaFiles() throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(p -> p.toString().matches(".*\\.(webm|mkv|mka|ivf|ogg|opus|mp4|m4a|ts)$")).sorted().toList();
        }
    }

    static int num(Object o) {
        return ((Number) o).intValue();
    }

    /** Video frames and Opus packets the capture holds, per media type, from the truth file. */
    @SuppressWarnings("unchecked")
    static Map<String, Integer> expectedFrames(Object truth) {
        Map<String, Integer> m = new java.util.HashMap<>();
        List<Object> sent = (List<Object>) MiniJson.at(truth, "streams_sent");
        List<Object> obs = (List<Object>) MiniJson.at(truth, "observed", "streams");
        for (int i = 0; i < sent.size(); i++) {
            String media = (String) MiniJson.at(sent.get(i), "media");
            Object per = MiniJson.at(obs.get(i), "per_ssrc", "0");
            Object frames = MiniJson.at(per, "codec", "frames");
            m.put(media, frames != null ? num(frames) : num(MiniJson.at(per, "packets")));
        }
        return m;
    }

    /**
     * The recording's expected duration from the truth file: each stream's first and last RTP timestamps placed on
     * the sender's NTP clock by its first RTCP SR (how Capstan aligns tracks), plus one frame; the nominal duration
     * when the capture has no SR.
     */
    @SuppressWarnings("unchecked")
    static double srAlignedDuration(Object truth) {
        List<Object> streams = (List<Object>) MiniJson.at(truth, "observed", "streams");
        double start = Double.MAX_VALUE;
        double end = -Double.MAX_VALUE;
        for (Object s : streams) {
            List<Object> srs = (List<Object>) MiniJson.at(s, "rtcp", "sender_reports");
            if (srs == null || srs.isEmpty()) {
                return ((Number) MiniJson.at(truth, "duration_s")).doubleValue();
            }
            double clock = ((Number) MiniJson.at(s, "clock_rate")).doubleValue();
            double ntp = ((Number) MiniJson.at(srs.get(0), "ntp")).doubleValue();
            double srTs = ((Number) MiniJson.at(srs.get(0), "rtp_ts")).doubleValue();
            Object per = MiniJson.at(s, "per_ssrc", "0");
            double first = ((Number) MiniJson.at(per, "first_ts")).doubleValue();
            double last = ((Number) MiniJson.at(per, "last_ts")).doubleValue();
            int frames = ((Number) MiniJson.at(per, "distinct_timestamps")).intValue();
            double frame = frames > 1 ? (last - first) / (frames - 1) / clock : 0;
            start = Math.min(start, ntp - (srTs - first) / clock);
            end = Math.max(end, ntp - (srTs - last) / clock + frame);
        }
        return end - start;
    }

    void checkTools(Path f) {
        String n = f.getFileName().toString();
        if (n.endsWith(".webm") || n.endsWith(".mkv") || n.endsWith(".mka")) {
            MediaTools.require("mkvinfo");
            MediaTools.Run r = MediaTools.run(List.of("mkvinfo", f.toString()));
            assertThat(r.exit()).as("mkvinfo exit: %s", r.stdout()).isZero();
            assertThat(r.stdout()).contains("Cues").doesNotContain("Error");
        } else if (n.endsWith(".ogg") || n.endsWith(".opus")) {
            MediaTools.require("opusinfo", "oggz-validate");
            MediaTools.Run r = MediaTools.run(List.of("opusinfo", f.toString()));
            assertThat(r.exit()).isZero();
            assertThat(r.stdout() + r.stderr()).doesNotContainPattern("(?m)^(WARNING|ERROR)");
            assertThat(MediaTools.run(List.of("oggz-validate", f.toString())).exit()).isZero();
        } else if (n.endsWith(".mp4") || n.endsWith(".m4a")) {
            // progressive and moov-first once the recording is finalized (ISO/IEC 14496-12 top-level boxes)
            List<String> top = new java.util.ArrayList<>();
            try (var ch = java.nio.channels.FileChannel.open(f)) {
                long pos = 0;
                java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(16);
                while (pos + 8 <= ch.size()) {
                    h.clear();
                    ch.read(h, pos);
                    long size = Integer.toUnsignedLong(h.getInt(0));
                    String type = new String(h.array(), 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
                    if (size == 1) {
                        size = h.getLong(8);
                    }
                    top.add(type);
                    if (size < 8) {
                        break;
                    }
                    pos += size;
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(top).as("top-level boxes of %s", n).contains("ftyp", "moov", "mdat").doesNotContain("moof");
            assertThat(top.indexOf("moov")).as("moov before mdat: %s", top).isLessThan(top.indexOf("mdat"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vp8_opus", "h264_aac", "h264_stapa", "pcmu"})
    void combined_everyFrameOfTheCapture(String name) throws IOException {
        MediaTools.require("ffprobe", "ffmpeg");
        Result r = convert(name);
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<Path> files = mediaFiles();
        assertThat(files).hasSize(1);
        Path f = files.get(0);
        assertThat(MediaTools.decodeErrors(f)).isEmpty();
        Map<String, Integer> want = expectedFrames(truth(name));
        for (Map<String, String> s : MediaTools.probeStreams(f)) {
            int frames = Integer.parseInt(s.get("nb_read_frames"));
            String type = s.get("codec_type");
            if (type.equals("video")) {
                assertThat(frames).as("video frames").isEqualTo(want.get("video"));
                assertThat(s.get("width") + "x" + s.get("height")).isIn("320x240", "426x240");
            } else {
                // AAC: access units; Opus: packets; G.711: packets
                assertThat(frames).as("audio frames").isGreaterThanOrEqualTo(want.get("audio") - 1);
            }
        }
        assertThat(MediaTools.probeDuration(f)).isCloseTo(srAlignedDuration(truth(name)),
                org.assertj.core.data.Offset.offset(0.1));
        checkTools(f);
        assertThat(MiniJson.at(r.report(), "files", "0", "path")).isEqualTo(f.toAbsolutePath().toString());
        assertThat(num(MiniJson.at(r.report(), "files", "0", "bytes"))).isEqualTo((int) Files.size(f));
    }

    @Test
    void perTrack_ivfAndOgg() throws IOException {
        MediaTools.require("ffprobe", "ffmpeg");
        Result r = convert("vp8_opus", "--per-track");
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<Path> files = mediaFiles();
        assertThat(files).extracting(p -> p.getFileName().toString().replaceAll(".*\\.", ""))
                .containsExactlyInAnyOrder("ivf", "opus");
        Map<String, Integer> want = expectedFrames(truth("vp8_opus"));
        for (Path f : files) {
            assertThat(MediaTools.decodeErrors(f)).as(f.toString()).isEmpty();
            Map<String, String> s = MediaTools.probeStreams(f).get(0);
            assertThat(Integer.parseInt(s.get("nb_read_frames"))).isEqualTo(want.get(s.get("codec_type")));
            checkTools(f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vp8_opus_dup", "vp8_opus_reorder", "vp8_opus_wrap", "vp8_opus_garbage"})
    void impairedButComplete_sameFramesAsClean(String name) throws IOException {
        MediaTools.require("ffprobe", "ffmpeg");
        Result r = convert(name);
        assertThat(r.exit()).as(r.stderr()).isZero();
        Path f = mediaFiles().get(0);
        assertThat(MediaTools.decodeErrors(f)).isEmpty();
        Map<String, Integer> want = expectedFrames(truth("vp8_opus"));
        for (Map<String, String> s : MediaTools.probeStreams(f)) {
            assertThat(Integer.parseInt(s.get("nb_read_frames"))).as(s.get("codec_type"))
                    .isEqualTo(want.get(s.get("codec_type")));
        }
        Object impairment = MiniJson.at(truth(name), "impairment");
        long dups = 0;
        long invalid = 0;
        long reordered = 0;
        for (int t = 0; t < 2; t++) {
            dups += num(MiniJson.at(r.report(), "tracks", "" + t, "duplicates"));
            invalid += num(MiniJson.at(r.report(), "tracks", "" + t, "invalid"));
            reordered += num(MiniJson.at(r.report(), "tracks", "" + t, "reordered"));
            assertThat(num(MiniJson.at(r.report(), "tracks", "" + t, "lost"))).isZero();
        }
        switch (name) {
            case "vp8_opus_dup" -> assertThat(dups).isEqualTo(num(MiniJson.at(impairment, "duplicated_count")));
            case "vp8_opus_reorder" -> assertThat(reordered).isEqualTo(
                    ((List<?>) MiniJson.at(impairment, "reordered", "25004")).size()
                    + ((List<?>) MiniJson.at(impairment, "reordered", "25006")).size());
            case "vp8_opus_garbage" -> assertThat(invalid).isEqualTo(num(MiniJson.at(impairment, "garbage_count")));
            default -> assertThat(dups + invalid).isZero();
        }
    }

    @Test
    void loss_dropsToNextKeyframe_requestsKeyframes_decodesCleanly() throws IOException {
        MediaTools.require("ffprobe", "ffmpeg");
        Result r = convert("vp8_opus_loss");
        assertThat(r.exit()).as(r.stderr()).isZero();
        Path f = mediaFiles().get(0);
        assertThat(MediaTools.decodeErrors(f)).isEmpty();
        long lost = 0;
        for (int t = 0; t < 2; t++) {
            lost += num(MiniJson.at(r.report(), "tracks", "" + t, "lost"));
        }
        assertThat(lost).isEqualTo(num(MiniJson.at(truth("vp8_opus_loss"), "impairment", "dropped_count")));
        assertThat(num(MiniJson.at(r.report(), "tracks", "0", "keyframeRequests"))).isPositive();
        assertThat(num(MiniJson.at(r.report(), "tracks", "0", "framesDropped"))).isPositive();
    }

    @Test
    void ssrcChange_continuesTheTrack() throws IOException {
        MediaTools.require("ffprobe", "ffmpeg");
        Result r = convert("vp8_opus_ssrc_change");
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<Path> files = mediaFiles();
        assertThat(files).hasSize(1);
        Path f = files.get(0);
        assertThat(MediaTools.decodeErrors(f)).isEmpty();
        assertThat(num(MiniJson.at(r.report(), "tracks", "0", "ssrcChanges"))).isEqualTo(1);
        assertThat(num(MiniJson.at(r.report(), "tracks", "1", "ssrcChanges"))).isEqualTo(1);
        // the new SSRC continues the track's clock by arrival time, so allow a little more than the clean capture
        assertThat(MediaTools.probeDuration(f)).isCloseTo(srAlignedDuration(truth("vp8_opus")),
                org.assertj.core.data.Offset.offset(0.1));
        Map<String, String> audio = MediaTools.probeStreams(f).stream()
                .filter(s -> s.get("codec_type").equals("audio")).findFirst().orElseThrow();
        assertThat(Integer.parseInt(audio.get("nb_read_frames"))).isGreaterThanOrEqualTo(145);
    }

    // ------------------------------------------------------------ bad input: one line, non-zero, no trace

    void assertCleanFailure(Result r, String expected) {
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr().strip().lines().count()).as(r.stderr()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("capstan: ").contains(expected).doesNotContain("\tat ", "Exception in");
    }

    @Test
    void missingCapture() throws IOException {
        assertCleanFailure(run("convert", "--sdp", FIXTURES.resolve("vp8_opus.sdp").toString(), "--pcap",
                out.resolve("nope.pcap").toString(), "--out", out.toString()), "not found");
    }

    @Test
    void garbageCapture() throws IOException {
        Path junk = out.resolve("junk.pcap");
        Files.write(junk, "this is not a capture at all, just text".getBytes(StandardCharsets.US_ASCII));
        assertCleanFailure(run("convert", "--sdp", FIXTURES.resolve("vp8_opus.sdp").toString(), "--pcap",
                junk.toString(), "--out", out.resolve("o").toString()), "not a readable capture");
    }

    @Test
    void sdpWithoutMedia() throws IOException {
        Path sdp = out.resolve("empty.sdp");
        Files.writeString(sdp, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n");
        assertCleanFailure(run("convert", "--sdp", sdp.toString(), "--pcap", FIXTURES.resolve("vp8_opus.pcap").toString(),
                "--out", out.resolve("o").toString()), "SDP");
    }

    @Test
    void unknownCodec() throws IOException {
        Path sdp = out.resolve("theora.sdp");
        Files.writeString(sdp, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                + "m=video 25004 RTP/AVP 96\r\na=rtpmap:96 theora/90000\r\n");
        assertCleanFailure(run("convert", "--sdp", sdp.toString(), "--pcap", FIXTURES.resolve("vp8_opus.pcap").toString(),
                "--out", out.resolve("o").toString()), "theora");
    }

    @Test
    void containerThatCannotHoldTheCodecs() throws IOException {
        assertCleanFailure(convert("h264_aac", "--container", "webm"), "webm");
    }

    @Test
    void capturePortsDoNotMatchTheSdp() throws IOException {
        Path sdp = out.resolve("other.sdp");
        Files.writeString(sdp, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                + "m=video 40000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n");
        assertCleanFailure(run("convert", "--sdp", sdp.toString(), "--pcap", FIXTURES.resolve("vp8_opus.pcap").toString(),
                "--out", out.resolve("o").toString()), "no media was recorded");
    }

    @Test
    void usageErrors() throws IOException {
        assertThat(run("convert").exit()).isEqualTo(2);
        assertThat(run("frobnicate").exit()).isEqualTo(2);
        assertThat(run("convert", "--bogus").exit()).isEqualTo(2);
    }
}
