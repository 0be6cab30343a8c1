package io.capstan.examples.embed;

import io.capstan.mux.Container;
import io.capstan.mux.MuxerSelector;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.session.RecordingSession;
import io.capstan.storage.fs.FileSystemSink;
import io.capstan.webrtc.AnswerOptions;
import io.capstan.webrtc.IceDtlsTransport;
import io.capstan.webrtc.WhipEvent;
import io.capstan.webrtc.WhipHandler;
import io.capstan.webrtc.WhipServer;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * A WHIP endpoint in a host: browsers (or OBS, GStreamer's whipsink) POST their offer to
 * {@code http://HOST:8080/whip}; every resource records into its own session under {@code records/}. A host with
 * its own HTTP server mounts the {@link WhipHandler} there instead of starting a {@link WhipServer}.
 */
public final class WhipEmbeddingExample {

    private WhipEmbeddingExample() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "records");
        MuxerSelector muxers = StandardMuxers.selector(Container.AUTO, false);
        // ICE host candidates on this machine's addresses, one UDP port for every publisher; a fresh DTLS certificate
        IceDtlsTransport transport = IceDtlsTransport.builder().build();
        WhipHandler whip = WhipHandler.builder()
                .transport(transport)
                .answerOptions(transport.answerOptions(AnswerOptions.canRecord(muxers)))
                .sessionFactory(request -> request.applyTo(RecordingSession.builder()
                        .sink(new FileSystemSink(dir))
                        .muxers(muxers)
                        .stream("whip-" + request.resourceId().substring(0, 8)), event -> { }).build())
                .bearerToken(System.getenv("WHIP_TOKEN")) // null: no token needed
                .listener(e -> {
                    if (e instanceof WhipEvent.ResourceEnded ended) {
                        System.out.println(ended.resourceId() + " ended (" + ended.reason() + "): " + ended.segments());
                    }
                })
                .build();
        try (transport; WhipServer server = WhipServer.start(new InetSocketAddress(8080), "/whip", whip, 8)) {
            System.out.println("WHIP endpoint " + server.endpoint() + ", ICE on " + transport.candidates());
            Thread.currentThread().join(); // until the process is stopped
        }
    }
}
