package io.capstan.examples.embed;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.session.RecordingEvent;
import io.capstan.session.RecordingSession;
import io.capstan.session.SegmentInfo;
import io.capstan.session.TrackInput;
import io.capstan.session.TrackSpec;
import io.capstan.storage.fs.FileSystemSink;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;

/**
 * How a host embeds Capstan (the example the README shows): the host already receives RTP — here a plain UDP
 * socket on port 5004 carrying VP8 (payload type 96) — and pushes each packet into a {@link RecordingSession}.
 * Run it, then send VP8 RTP, e.g.
 * {@code ffmpeg -re -f lavfi -i testsrc2=size=640x360:rate=30 -t 5 -c:v libvpx -f rtp rtp://127.0.0.1:5004}.
 */
public final class EmbeddingExample {

    private EmbeddingExample() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        RecordingSession session = RecordingSession.builder()
                .sink(new FileSystemSink(Path.of("records")))
                .muxers(StandardMuxers.selector(Container.AUTO, false))
                .stream("camera1")
                .track(TrackSpec.of("video", Codec.VP8, 96))
                .listener(e -> {
                    if (e instanceof RecordingEvent.KeyframeNeeded k) {
                        System.out.println("send PLI to SSRC " + k.ssrc() + ": " + k.reason());
                    }
                })
                .build();
        TrackInput video = session.track("video");
        session.start();
        try (DatagramSocket socket = new DatagramSocket(5004)) {
            socket.setSoTimeout(200);
            byte[] buf = new byte[2048];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                try {
                    socket.receive(p);
                    video.pushRtp(p.getData(), p.getOffset(), p.getLength(), System.nanoTime());
                } catch (SocketTimeoutException idle) {
                    session.poll(System.nanoTime());
                }
            }
        }
        for (SegmentInfo s : session.stop()) {
            System.out.println("wrote " + s.location() + " (" + s.totalFrames() + " frames)");
        }
    }
}
