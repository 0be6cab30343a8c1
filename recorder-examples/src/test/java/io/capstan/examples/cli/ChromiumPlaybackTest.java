package io.capstan.examples.cli;

import io.capstan.testing.BrowserPlayback;
import io.capstan.testing.BrowserPlayback.MsePlayback;
import io.capstan.testing.BrowserPlayback.MseTrack;
import io.capstan.testing.BrowserPlayback.Playback;
import io.capstan.testing.BrowserPlayback.Report;
import io.capstan.testing.MediaTools;
import io.capstan.testing.MiniJson;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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
import static org.assertj.core.data.Offset.offset;

/**
 * "Players agree" (issue 3 item 8): every file {@code capstan convert} writes from the project's captures plays in
 * headless Chromium in a {@code <video>}/{@code <audio>} element served over local HTTP, to its end, with the
 * duration and video size the capture holds and every frame decoded; fragmented MP4 plays through Media Source
 * Extensions. Skipped with a visible message when chromium is not installed (a failure under
 * {@code -Dcapstan.requireTools=true}); a codec or container this Chromium build cannot play is a visible skip.
 */
class ChromiumPlaybackTest {

    /** Chromium's duration against ffprobe's and the capture's truth. */
    static final double DURATION_TOLERANCE_S = 0.3;

    @TempDir
    Path out;

    /**
     * One line per output: the capture, the {@code --container} asked (auto = what the CLI picks), the MIME type with
     * codecs the file should have, and whether it is audio only. A container the CLI cannot write yet is a visible skip.
     */
    record Output(String fixture, String container, String type, boolean audioOnly, String audioType) {
        static Output video(String fixture, String container, String type) {
            return new Output(fixture, container, type, false, null);
        }

        static Output audio(String fixture, String container, String type) {
            return new Output(fixture, container, type, true, null);
        }

        /**
         * A DASH output played through MSE: {@code videoType} for the SourceBuffer fed {@code init.m4s, seg_*.m4s},
         * {@code audioType} for {@code audio_init.m4s, audio_seg_*.m4s} (the layout issue 3 asks for).
         */
        static Output dash(String fixture, String videoType, String audioType) {
            return new Output(fixture, "dash", videoType, false, audioType);
        }

        @Override
        public String toString() {
            return fixture + " as " + container + " (" + type + (audioType != null ? " + " + audioType : "") + ")";
        }
    }

    static Stream<Output> outputs() {
        return Stream.of(
                // what the CLI writes today
                Output.video("vp8_opus", "auto", "video/webm; codecs=\"vp8, opus\""),
                Output.video("vp9_gst", "auto", "video/webm; codecs=\"vp9\""),
                Output.audio("opus_dtx_gst", "auto", "audio/ogg; codecs=\"opus\""),
                Output.video("h264_aac", "auto", "video/x-matroska; codecs=\"avc1.42E01E, mp4a.40.2\""),
                Output.video("h264_stapa", "auto", "video/x-matroska; codecs=\"avc1.42E01E, opus\""),
                Output.audio("pcmu", "auto", "audio/x-matroska"),
                Output.video("vp8_opus", "mkv", "video/x-matroska; codecs=\"vp8, opus\""),
                // the MP4 family and TS
                Output.video("h264_aac", "mp4", "video/mp4; codecs=\"avc1.42E01E, mp4a.40.2\""),
                Output.video("h264_stapa", "mp4", "video/mp4; codecs=\"avc1.42E01E, opus\""),
                Output.video("vp9_gst", "mp4", "video/mp4; codecs=\"vp09.00.10.08\""),
                Output.audio("opus_dtx_gst", "mp4", "audio/mp4; codecs=\"opus\""),
                Output.video("h264_aac", "fmp4", "video/mp4; codecs=\"avc1.42E01E, mp4a.40.2\""),
                Output.video("h264_aac", "ts", "video/mp2t; codecs=\"avc1.42E01E, mp4a.40.2\""),
                Output.video("h264_aac", "hls", "application/vnd.apple.mpegurl"),
                Output.dash("h264_aac", "video/mp4; codecs=\"avc1.42E01E\"", "audio/mp4; codecs=\"mp4a.40.2\""));
    }

    record Cli(int exit, String stdout, String stderr) {
    }

    Cli convert(String fixture, String container) {
        Path fixtures = ConvertConformanceTest.FIXTURES;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = new CapstanCli(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)).run(new String[] {"convert",
                "--sdp", fixtures.resolve(fixture + ".sdp").toString(),
                "--pcap", fixtures.resolve(fixture + ".pcap").toString(),
                "--out", out.toString(), "--container", container});
        return new Cli(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static void skip(String why) {
        System.err.println("SKIPPED: " + why);
        Assumptions.abort(why);
    }

    /** The one media file the CLI wrote (searching subdirectories, where segmenting containers put theirs). */
    List<Path> written() throws IOException {
        try (Stream<Path> s = Files.walk(out)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".json")).sorted()
                    .toList();
        }
    }

    /**
     * What to hand the browser: the one file written; or, for segmenting containers, the HLS playlist (the master
     * playlist when there are several) or the DASH manifest.
     */
    static Path entryPoint(List<Path> files, Output c) throws IOException {
        if (files.size() == 1) {
            return files.get(0);
        }
        List<Path> m3u8 = files.stream().filter(p -> p.toString().endsWith(".m3u8")).toList();
        List<Path> mpd = files.stream().filter(p -> p.toString().endsWith(".mpd")).toList();
        if (mpd.size() == 1 && c.container().equals("dash")) {
            return mpd.get(0);
        }
        if (m3u8.size() == 1) {
            return m3u8.get(0);
        }
        for (Path p : m3u8) {
            if (Files.readString(p).contains("#EXT-X-STREAM-INF")) {
                return p;
            }
        }
        throw new AssertionError("no single file, HLS playlist or DASH manifest to play for " + c + " among " + files);
    }

    /** DASH objects to SourceBuffers by name: {@code [prefix]init.m4s} then {@code [prefix]seg_*.m4s}, in order. */
    MseTrack[] dashTracks(List<Path> files, Output c) {
        List<MseTrack> tracks = new ArrayList<>();
        for (Path init : files.stream().filter(p -> p.getFileName().toString().matches(".*init\\.(m4s|mp4)")).toList()) {
            String name = init.getFileName().toString();
            String prefix = name.substring(0, name.indexOf("init"));
            List<String> segs = new ArrayList<>();
            segs.add(out.relativize(init).toString());
            files.stream().filter(p -> p.getParent().equals(init.getParent()))
                    .filter(p -> p.getFileName().toString().matches(java.util.regex.Pattern.quote(prefix) + "seg.*\\.m4s"))
                    .sorted().forEach(p -> segs.add(out.relativize(p).toString()));
            boolean audio = handler(init).equals("soun");
            tracks.add(new MseTrack(audio ? c.audioType() : c.type(), segs));
        }
        assertThat(tracks).as("DASH init segments (*init.m4s) among %s", files).isNotEmpty();
        return tracks.toArray(new MseTrack[0]);
    }

    /** The handler type of the first hdlr box (ISO/IEC 14496-12 8.4.3): "vide" or "soun". */
    static String handler(Path init) {
        try {
            byte[] b = Files.readAllBytes(init);
            for (int i = 4; i + 16 <= b.length; i++) {
                if (b[i] == 'h' && b[i + 1] == 'd' && b[i + 2] == 'l' && b[i + 3] == 'r') {
                    // fourcc, version+flags (4), pre_defined (4), handler_type (4)
                    return new String(b, i + 12, 4, StandardCharsets.US_ASCII);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError(init + " has no hdlr box");
    }

    /** The sum of the packet sizes of the file's audio ("a") or video ("v") streams, from ffprobe. */
    static long packetBytes(Path file, String streamType) {
        MediaTools.Run run = MediaTools.run(List.of("ffprobe", "-v", "error", "-select_streams", streamType,
                "-show_entries", "packet=size", "-of", "csv=p=0", file.toString()));
        assertThat(run.exit()).as(run.stderr()).isZero();
        // first field only: ffprobe appends a field to packets that carry side data (e.g. "111," on Ogg Opus)
        return run.stdout().lines().filter(l -> !l.isBlank())
                .mapToLong(l -> Long.parseLong(l.strip().split(",")[0])).sum();
    }

    static long packetCount(Path file, String streamType) {
        MediaTools.Run run = MediaTools.run(List.of("ffprobe", "-v", "error", "-select_streams", streamType,
                "-show_entries", "packet=size", "-of", "csv=p=0", file.toString()));
        assertThat(run.exit()).as(run.stderr()).isZero();
        return run.stdout().lines().filter(l -> !l.isBlank()).count();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outputs")
    void playsToTheEnd_withTheCapturesDurationSizeAndFrames(Output c) throws IOException {
        BrowserPlayback.require();
        MediaTools.require("ffprobe", "ffmpeg");
        Cli cli = convert(c.fixture(), c.container());
        if (cli.exit() != 0 && cli.stderr().contains("output is not available in this build")) {
            skip("capstan cannot write " + c.container() + " yet (" + cli.stderr().strip() + "): " + c + " not played");
        }
        assertThat(cli.exit()).as("capstan convert: %s", cli.stderr()).isZero();
        List<Path> files = written();
        Path file = entryPoint(files, c);
        String rel = out.relativize(file).toString();
        boolean mse = file.toString().endsWith(".mpd");

        Object truth = ConvertConformanceTest.truth(c.fixture());
        double probed = MediaTools.probeDuration(file);
        double truthDuration = ConvertConformanceTest.srAlignedDuration(truth);
        List<Map<String, String>> streams = MediaTools.probeStreams(file);
        Map<String, String> video = streams.stream().filter(s -> "video".equals(s.get("codec_type"))).findFirst()
                .orElse(null);
        assertThat(video == null).as("audio-only output %s", c).isEqualTo(c.audioOnly());

        Report r;
        try (BrowserPlayback b = BrowserPlayback.serve(out)) {
            if (mse) {
                r = b.playMse(MsePlayback.of(dashTracks(files, c)));
            } else {
                Playback p = c.audioOnly() ? Playback.audio(rel, c.type()) : Playback.video(rel, c.type());
                r = b.play(p);
            }
        }
        System.out.printf("chromium %-40s %-11s canPlayType=%-9s duration=%.3f (ffprobe %.3f, truth %.3f) %dx%d "
                        + "frames=%d dropped=%d audioBytes=%d in %d ms%n", c, r.outcome(), r.canPlayType(),
                r.duration(), probed, truthDuration, r.videoWidth(), r.videoHeight(), r.totalVideoFrames(),
                r.droppedVideoFrames(), r.audioDecodedBytes(), r.wallMillis());
        if (mse && !r.typesSupported()) {
            skip("this Chromium build's MediaSource.isTypeSupported rejects " + c + ": not played through MSE");
        }
        if (!mse && r.canPlayType().isEmpty() && r.errorCode() == 4) {
            skip("this Chromium build does not play " + c.type() + " (canPlayType \"\", MEDIA_ERR_SRC_NOT_SUPPORTED: "
                    + r.errorMessage() + "): " + c + " not played");
        }
        assertThat(r.errorCode()).as("MediaError %s", r).isZero();
        assertThat(r.ended()).as("'ended' fired: %s", r).isTrue();
        if (!mse) {  // MSE knows the duration only at endOfStream
            assertThat(r.durationAtMetadata()).as("duration at loadedmetadata vs ffprobe: %s", r)
                    .isCloseTo(probed, offset(DURATION_TOLERANCE_S));
        }
        assertThat(r.duration()).as("duration at the end vs ffprobe: %s", r).isCloseTo(probed, offset(DURATION_TOLERANCE_S));
        assertThat(r.duration()).as("duration vs the capture's truth: %s", r)
                .isCloseTo(truthDuration, offset(DURATION_TOLERANCE_S));
        assertThat(r.currentTime()).as("played to the end: %s", r).isCloseTo(r.duration(), offset(0.05));
        if (video != null) {
            Object sent = MiniJson.at(truth, "streams_sent", "0");
            assertThat(r.videoWidth() + "x" + r.videoHeight()).as("video size: %s", r)
                    .isEqualTo(MiniJson.at(sent, "width") + "x" + MiniJson.at(sent, "height"));
            int frames = Integer.parseInt(video.get("nb_read_frames"));
            assertThat(frames).isEqualTo(ConvertConformanceTest.expectedFrames(truth).get("video"));
            assertThat(r.totalVideoFrames()).as("frames Chromium decoded vs the file's: %s", r).isEqualTo(frames);
        }
        // Chromium counts the compressed bytes it fed to each decoder: equal to the file's packets, every one decoded
        long audioBytes = packetBytes(file, "a");
        if (mse || file.toString().endsWith(".m3u8")) {
            // Chromium feeds AAC from a SourceBuffer (and from its HLS player, built on the same parsers) to its
            // decoder as ADTS: up to 7 bytes more per frame
            long audioFrames = packetCount(file, "a");
            assertThat(r.audioDecodedBytes()).as("audio bytes decoded: %s", r)
                    .isIn(audioBytes, audioBytes + 7 * audioFrames);
        } else {
            assertThat(r.audioDecodedBytes()).as("audio bytes Chromium decoded vs the file's packets: %s", r)
                    .isEqualTo(audioBytes);
        }
        long videoBytes = packetBytes(file, "v");
        if ((mse || file.toString().endsWith(".m3u8")) && r.videoDecodedBytes() != videoBytes) {
            // Chromium's MP4 parser converts AVC to Annex B with the avcC's SPS + PPS before every IDR
            assertThat(r.videoDecodedBytes()).as("video bytes decoded: %s", r).isBetween(videoBytes, videoBytes + 1024);
        } else {
            assertThat(r.videoDecodedBytes()).as("video bytes Chromium decoded vs the file's packets: %s", r)
                    .isEqualTo(videoBytes);
        }
        if (streams.stream().anyMatch(s -> "audio".equals(s.get("codec_type")))) {
            assertThat(r.audioDecodedBytes()).as("audio decoded: %s", r).isPositive();
        }
    }

    // ---------------------------------------------------------------- Media Source Extensions

    /**
     * One MSE line: fragmented MP4 made by ffmpeg at test time from lavfi sources (320x240 at 30 fps + a tone, 3 s,
     * keyframe every second), the SourceBuffer type(s), and how it is fed: the whole file in one append, split into
     * init + one segment per fragment, or separate video and audio files in two SourceBuffers (as DASH/HLS do).
     * It proves the MSE path before Capstan's own fMP4/DASH/HLS muxers land; their outputs become lines here.
     */
    record Mse(String name, List<String> videoCodec, List<String> audioCodec, String videoType, String audioType,
               Layout layout) {
        enum Layout { WHOLE_FILE, SEGMENTS, SEPARATE_TRACKS }

        static final List<String> VP9 = List.of("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                "-b:v", "200k");
        static final List<String> OPUS = List.of("-c:a", "libopus", "-b:a", "32k");
        static final List<String> H264 = List.of("-c:v", "libx264", "-profile:v", "baseline", "-preset", "veryfast",
                "-bf", "0", "-sc_threshold", "0");
        static final List<String> AAC = List.of("-c:a", "aac", "-b:a", "64k");

        String combinedType() {
            String v = videoType.substring(videoType.indexOf('"') + 1, videoType.lastIndexOf('"'));
            String a = audioType.substring(audioType.indexOf('"') + 1, audioType.lastIndexOf('"'));
            return "video/mp4; codecs=\"" + v + ", " + a + "\"";
        }

        @Override
        public String toString() {
            return name + " " + layout.name().toLowerCase().replace('_', ' ');
        }
    }

    static final double MSE_SECONDS = 3.0;
    static final int MSE_FRAMES = 90;

    static Stream<Mse> mseCases() {
        String vp9 = "video/mp4; codecs=\"vp09.00.10.08\"";
        String opus = "audio/mp4; codecs=\"opus\"";
        String avc = "video/mp4; codecs=\"avc1.42E01E\"";
        String aac = "audio/mp4; codecs=\"mp4a.40.2\"";
        return Stream.of(
                new Mse("vp9+opus", Mse.VP9, Mse.OPUS, vp9, opus, Mse.Layout.WHOLE_FILE),
                new Mse("vp9+opus", Mse.VP9, Mse.OPUS, vp9, opus, Mse.Layout.SEGMENTS),
                new Mse("vp9+opus", Mse.VP9, Mse.OPUS, vp9, opus, Mse.Layout.SEPARATE_TRACKS),
                new Mse("h264+aac", Mse.H264, Mse.AAC, avc, aac, Mse.Layout.SEGMENTS));
    }

    /** ffmpeg: lavfi test sources to fragmented MP4 (empty moov, a fragment per keyframe, tfdt-based offsets). */
    Path ffmpegFragmentedMp4(String name, List<String> video, List<String> audio) {
        Path f = out.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-nostdin", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", String.valueOf(MSE_SECONDS)));
        if (video != null) {
            cmd.addAll(List.of("-map", "0:v"));
            cmd.addAll(video);
            cmd.addAll(List.of("-g", "30", "-keyint_min", "30", "-pix_fmt", "yuv420p"));
        }
        if (audio != null) {
            cmd.addAll(List.of("-map", "1:a"));
            cmd.addAll(audio);
            cmd.addAll(List.of("-ac", "2"));
        }
        cmd.addAll(List.of("-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", f.toString()));
        MediaTools.Run r = MediaTools.run(cmd);
        assertThat(r.exit()).as("ffmpeg: %s", r.stderr()).isZero();
        return f;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mseCases")
    void fragmentedMp4_playsThroughMediaSourceExtensions(Mse c) throws IOException {
        BrowserPlayback.require();
        MediaTools.require("ffprobe", "ffmpeg");
        List<MseTrack> tracks = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        String tag = c.name().replace('+', '_');
        switch (c.layout()) {
            case WHOLE_FILE -> {
                Path f = ffmpegFragmentedMp4(tag + ".mp4", c.videoCodec(), c.audioCodec());
                files.add(f);
                tracks.add(new MseTrack(c.combinedType(), List.of(f.getFileName().toString())));
            }
            case SEGMENTS -> {
                Path f = ffmpegFragmentedMp4(tag + ".mp4", c.videoCodec(), c.audioCodec());
                files.add(f);
                tracks.add(new MseTrack(c.combinedType(), BrowserPlayback.splitFragmentedMp4(f, out, tag + "_")));
            }
            case SEPARATE_TRACKS -> {
                Path v = ffmpegFragmentedMp4(tag + "_video.mp4", c.videoCodec(), null);
                Path a = ffmpegFragmentedMp4(tag + "_audio.mp4", null, c.audioCodec());
                files.add(v);
                files.add(a);
                tracks.add(new MseTrack(c.videoType(), BrowserPlayback.splitFragmentedMp4(v, out, tag + "_v_")));
                tracks.add(new MseTrack(c.audioType(), BrowserPlayback.splitFragmentedMp4(a, out, tag + "_a_")));
            }
            default -> throw new IllegalStateException();
        }
        double probed = files.stream().mapToDouble(MediaTools::probeDuration).max().orElseThrow();
        long audioBytes = files.stream().mapToLong(f -> packetBytes(f, "a")).sum();
        long videoBytes = files.stream().mapToLong(f -> packetBytes(f, "v")).sum();
        int segments = tracks.stream().mapToInt(t -> t.segments().size()).sum();

        Report r;
        try (BrowserPlayback b = BrowserPlayback.serve(out)) {
            r = b.playMse(MsePlayback.of(tracks.toArray(new MseTrack[0])));
        }
        System.out.printf("chromium MSE %-28s %-11s duration=%.3f (ffprobe %.3f) %dx%d frames=%d dropped=%d "
                        + "segments=%d buffered=%s in %d ms%n", c, r.outcome(), r.duration(), probed, r.videoWidth(),
                r.videoHeight(), r.totalVideoFrames(), r.droppedVideoFrames(), r.segmentsAppended(),
                r.json().get("buffered"), r.wallMillis());
        if (!r.typesSupported()) {
            skip("this Chromium build's MediaSource.isTypeSupported rejects " + tracks.stream().map(MseTrack::type)
                    .toList() + ": " + c + " not played through MSE");
        }
        assertThat(r.errorCode()).as("MediaError %s", r).isZero();
        assertThat(r.json().get("exception")).as("page exception: %s", r).isNull();
        assertThat(r.segmentsAppended()).as("segments appended: %s", r).isEqualTo(segments);
        assertThat(r.ended()).as("'ended' fired: %s", r).isTrue();
        assertThat(r.duration()).as("MSE duration vs ffprobe: %s", r).isCloseTo(probed, offset(DURATION_TOLERANCE_S));
        assertThat(r.duration()).as("MSE duration vs the source: %s", r).isCloseTo(MSE_SECONDS, offset(DURATION_TOLERANCE_S));
        assertThat(r.currentTime()).as("played to the end: %s", r).isCloseTo(r.duration(), offset(0.05));
        assertThat(r.videoWidth() + "x" + r.videoHeight()).as("video size: %s", r).isEqualTo("320x240");
        assertThat(r.totalVideoFrames()).as("frames Chromium decoded: %s", r).isEqualTo(MSE_FRAMES);
        if (c.videoType().contains("avc1")) {
            // Chromium's MP4 parser converts AVC to Annex B and puts the avcC's SPS + PPS before every IDR (3 here)
            assertThat(r.videoDecodedBytes()).as("video bytes decoded: %s", r).isBetween(videoBytes, videoBytes + 3 * 64);
        } else {
            assertThat(r.videoDecodedBytes()).as("video bytes decoded: %s", r).isEqualTo(videoBytes);
        }
        // Opus exactly; AAC reaches the decoder as ADTS, 7 bytes more per frame (142 frames here)
        long audioFrames = files.stream().mapToLong(f -> packetCount(f, "a")).sum();
        assertThat(r.audioDecodedBytes()).as("audio bytes decoded: %s", r)
                .isEqualTo(c.audioType().contains("mp4a") ? audioBytes + 7 * audioFrames : audioBytes);
        // everything appended is one contiguous buffered range from the start to the end
        assertThat(r.buffered()).as("buffered ranges: %s", r).hasSize(1);
        assertThat(r.buffered().get(0)[0]).as("buffered start: %s", r).isCloseTo(0.0, offset(0.1));
        assertThat(r.buffered().get(0)[1]).as("buffered end: %s", r).isCloseTo(probed, offset(DURATION_TOLERANCE_S));
    }

    /**
     * HLS as ffmpeg writes it (fMP4 or TS segments), played by this Chromium's own HLS support through
     * {@code <video src=playlist.m3u8>} where canPlayType says it has one: the shape Capstan's HLS output will take.
     */
    @ParameterizedTest(name = "hls {0} segments")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"fmp4", "mpegts"})
    void hlsPlaylist_playsNatively(String segmentType) throws IOException {
        BrowserPlayback.require();
        MediaTools.require("ffprobe", "ffmpeg");
        String mpegurl = "application/vnd.apple.mpegurl";
        if (!BrowserPlayback.codecSupport().canPlay(mpegurl)) {
            skip("this Chromium build has no native HLS (canPlayType(\"" + mpegurl + "\") is \"\")");
        }
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-nostdin", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", String.valueOf(MSE_SECONDS)));
        cmd.addAll(Mse.H264);
        cmd.addAll(List.of("-g", "30", "-keyint_min", "30", "-pix_fmt", "yuv420p"));
        cmd.addAll(Mse.AAC);
        cmd.addAll(List.of("-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_type", segmentType,
                out.resolve("playlist.m3u8").toString()));
        MediaTools.Run ff = MediaTools.run(cmd);
        assertThat(ff.exit()).as("ffmpeg: %s", ff.stderr()).isZero();
        Report r;
        try (BrowserPlayback b = BrowserPlayback.serve(out)) {
            r = b.play(Playback.video("playlist.m3u8", mpegurl));
        }
        System.out.printf("chromium HLS %-6s %-11s duration=%.3f %dx%d frames=%d in %d ms%n", segmentType, r.outcome(),
                r.duration(), r.videoWidth(), r.videoHeight(), r.totalVideoFrames(), r.wallMillis());
        assertThat(r.errorCode()).as("MediaError %s", r).isZero();
        assertThat(r.ended()).as("'ended' fired: %s", r).isTrue();
        assertThat(r.duration()).as("duration: %s", r).isCloseTo(MSE_SECONDS, offset(DURATION_TOLERANCE_S));
        assertThat(r.videoWidth() + "x" + r.videoHeight()).as("video size: %s", r).isEqualTo("320x240");
        if (segmentType.equals("fmp4")) {
            assertThat(r.totalVideoFrames()).as("frames decoded: %s", r).isEqualTo(MSE_FRAMES);
        } else {
            // Chromium 150's native HLS over TS ends at the last buffered audio+video overlap: ffmpeg's TS
            // segments hold all 90 frames (ffprobe), yet the last ~0.25 s (7 frames) are neither buffered nor
            // decoded although 'ended' fires (at 1x as at 4x). Recorded here for Capstan's TS/HLS muxers, not hidden.
            assertThat(r.totalVideoFrames()).as("frames decoded: %s", r).isBetween((long) MSE_FRAMES - 10, (long) MSE_FRAMES);
        }
    }

    /**
     * DASH as ffmpeg writes it ({@code [id]_init.m4s}, {@code [id]_seg_NNNNN.m4s}, a manifest), fed to MSE by the same
     * {@link #entryPoint} / {@link #dashTracks} that will feed Capstan's DASH output: one SourceBuffer per
     * representation, recognised by the init segment's handler.
     */
    @Test
    void dashSegments_playThroughMediaSourceExtensions() throws IOException {
        BrowserPlayback.require();
        MediaTools.require("ffprobe", "ffmpeg");
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-v", "error", "-nostdin", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", String.valueOf(MSE_SECONDS),
                "-map", "0:v", "-map", "1:a"));
        cmd.addAll(Mse.H264);
        cmd.addAll(List.of("-g", "30", "-keyint_min", "30", "-pix_fmt", "yuv420p"));
        cmd.addAll(Mse.AAC);
        cmd.addAll(List.of("-f", "dash", "-seg_duration", "1", "-use_template", "1", "-use_timeline", "0",
                "-init_seg_name", "$RepresentationID$_init.m4s", "-media_seg_name", "$RepresentationID$_seg_$Number%05d$.m4s",
                out.resolve("manifest.mpd").toString()));
        MediaTools.Run ff = MediaTools.run(cmd);
        assertThat(ff.exit()).as("ffmpeg: %s", ff.stderr()).isZero();
        Output c = Output.dash("ffmpeg", "video/mp4; codecs=\"avc1.42E01E\"", "audio/mp4; codecs=\"mp4a.40.2\"");
        List<Path> files = written();
        Path manifest = entryPoint(files, c);
        assertThat(manifest.getFileName().toString()).isEqualTo("manifest.mpd");
        MseTrack[] tracks = dashTracks(files, c);
        assertThat(tracks).extracting(MseTrack::type).containsExactlyInAnyOrder(c.type(), c.audioType());
        Report r;
        try (BrowserPlayback b = BrowserPlayback.serve(out)) {
            r = b.playMse(MsePlayback.of(tracks));
        }
        System.out.printf("chromium DASH (ffmpeg) %-11s duration=%.3f %dx%d frames=%d segments=%d buffered=%s in %d ms%n",
                r.outcome(), r.duration(), r.videoWidth(), r.videoHeight(), r.totalVideoFrames(), r.segmentsAppended(),
                r.json().get("buffered"), r.wallMillis());
        assertThat(r.errorCode()).as("MediaError %s", r).isZero();
        assertThat(r.ended()).as("'ended' fired: %s", r).isTrue();
        assertThat(r.segmentsAppended()).isEqualTo(java.util.Arrays.stream(tracks).mapToInt(t -> t.segments().size()).sum());
        assertThat(r.duration()).as("duration: %s", r).isCloseTo(MSE_SECONDS, offset(DURATION_TOLERANCE_S));
        assertThat(r.videoWidth() + "x" + r.videoHeight()).as("video size: %s", r).isEqualTo("320x240");
        assertThat(r.totalVideoFrames()).as("frames decoded: %s", r).isEqualTo(MSE_FRAMES);
        // the audio representation's packets, read from its own init + segments (ffprobe's DASH demuxer reads a manifest
        // on local files poorly); Chromium feeds AAC from a SourceBuffer of its own to the decoder as ADTS, 7 bytes more
        // per frame (observed: 142 frames, 24407 bytes in the file, 25401 decoded)
        Path audio = out.resolve("audio-track.mp4");
        MseTrack at = java.util.Arrays.stream(tracks).filter(t -> t.type().equals(c.audioType())).findFirst().orElseThrow();
        try (var os = Files.newOutputStream(audio)) {
            for (String seg : at.segments()) {
                os.write(Files.readAllBytes(out.resolve(seg)));
            }
        }
        long bytes = packetBytes(audio, "a");
        long frames = packetCount(audio, "a");
        assertThat(r.audioDecodedBytes()).as("audio bytes decoded (%d frames, %d bytes in the file): %s", frames, bytes, r)
                .isIn(bytes, bytes + 7 * frames);
    }

    // ---------------------------------------------------------------- what this Chromium build plays

    @Test
    void codecSupport_ofThisChromiumBuild() {
        BrowserPlayback.require();
        BrowserPlayback.CodecSupport s = BrowserPlayback.codecSupport();
        System.out.println("chromium codec support (canPlayType, MSE isTypeSupported):\n" + s.summary());
        assertThat(s.userAgent()).contains("HeadlessChrome");
        // what every Chromium build has (open codecs): WebM VP8/VP9/Opus and Ogg Opus, through src and MSE
        assertThat(s.canPlay("video/webm; codecs=\"vp8, opus\"")).as(s.summary()).isTrue();
        assertThat(s.canPlay("video/webm; codecs=\"vp9\"")).as(s.summary()).isTrue();
        assertThat(s.canPlay("audio/ogg; codecs=\"opus\"")).as(s.summary()).isTrue();
        assertThat(s.mseSupports("video/webm; codecs=\"vp9, opus\"")).as(s.summary()).isTrue();
        assertThat(s.mseSupports("video/mp4; codecs=\"vp09.00.10.08, opus\"")).as(s.summary()).isTrue();
        // and nothing claims support for a codec that does not exist
        assertThat(s.canPlayType()).hasSize(BrowserPlayback.PROBED_TYPES.size());
    }
}
