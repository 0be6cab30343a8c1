package io.capstan.records;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.mp4.Mp4Muxer;
import io.capstan.mux.testing.Feed;
import io.capstan.mux.testing.FileOutput;
import io.capstan.mux.testing.TestMedia;
import io.capstan.mux.webm.DocType;
import io.capstan.mux.webm.MatroskaMuxer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

/**
 * Recordings for the records tests, written by Capstan's own muxers from real encoder output (ffmpeg): WebM with
 * VP8 + Opus and MP4 with H.264 + AAC, 30 fps with a keyframe every second.
 */
final class Recordings {

    static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");

    private Recordings() {
    }

    static Path webm(Path work, Path out, double seconds) throws Exception {
        Files.createDirectories(work);
        List<TestMedia.Frame> video = TestMedia.ivfFrames(TestMedia.vp8(work, seconds, 30, 30));
        TestMedia.Opus opus = TestMedia.opusPackets(TestMedia.opusOgg(work, seconds, 2));
        List<TrackFormat> formats = List.of(TrackFormat.video(Codec.VP8, 320, 240, null),
                TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, opus.head()));
        try (FileOutput o = new FileOutput(out)) {
            Muxer m = new MatroskaMuxer(o, DocType.WEBM, MatroskaMuxer.Options.DEFAULT);
            write(m, formats, Feed.interleave(video, opus.packets()));
        }
        return out;
    }

    static Path mp4(Path work, Path out, double seconds) throws Exception {
        Files.createDirectories(work);
        TestMedia.H264 h = TestMedia.annexBToAvcc(TestMedia.h264(work, seconds, 30, 30), 30);
        TestMedia.Aac a = TestMedia.adtsToRaw(TestMedia.aacAdts(work, seconds));
        List<TrackFormat> formats = List.of(TrackFormat.video(Codec.H264, 320, 240, h.avcC()),
                TrackFormat.audio(Codec.AAC, a.sampleRate(), a.sampleRate(), a.channels(), a.asc()));
        try (FileOutput o = new FileOutput(out)) {
            Muxer m = Mp4Muxer.progressive(o, Mp4Muxer.Options.DEFAULT.withClock(InstantSource.fixed(T0)));
            write(m, formats, Feed.interleave(h.frames(), a.frames()));
        }
        return out;
    }

    private static void write(Muxer m, List<TrackFormat> formats, List<Feed.Item> items) throws Exception {
        for (TrackFormat f : formats) {
            m.addTrack(f);
        }
        Feed.write(m, items, formats.stream().mapToInt(TrackFormat::clockRate).toArray());
        m.close();
    }
}
