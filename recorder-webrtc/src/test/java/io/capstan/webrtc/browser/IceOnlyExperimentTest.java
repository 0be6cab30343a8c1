package io.capstan.webrtc.browser;

import io.capstan.media.Codec;
import io.capstan.session.RecordingSession;
import io.capstan.webrtc.*;
import io.capstan.webrtc.ice.IcePorts;
import io.capstan.webrtc.ice.IceSession;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

class IceOnlyExperimentTest {
    @Test
    void iceConnects() throws Exception {
        IcePorts ports = IcePorts.bind(List.of(new InetSocketAddress("127.0.0.1", 0)));
        WebRtcTransport t = () -> {
            IceSession s = IceSession.create(ports);
            return new WebRtcTransport.Pending() {
                public IceCredentials localIce() { return s.localCredentials(); }
                public WebRtcTransport.Handle start(Negotiation n, RtpSink sink) {
                    s.start(n.remoteIce(), n.remoteCandidates(), Duration.ofSeconds(20), Duration.ofSeconds(30), new IceSession.Listener() {
                        public void connected(InetSocketAddress r) { System.err.println("CONNECTED " + r); }
                        public void ended(String reason) { System.err.println("ENDED " + reason); }
                    });
                    return s::close;
                }
                public void cancel() { s.close(); }
            };
        };
        DtlsFingerprint fp = DtlsFingerprint.sha256(new byte[32]);
        WhipHandler h = WhipHandler.builder().transport(t)
                .answerOptions(AnswerOptions.of(fp, ports.candidates(), c -> true))
                .sessionFactory(r -> r.applyTo(RecordingSession.builder().sink(new io.capstan.storage.fs.FileSystemSink(java.nio.file.Path.of("/tmp/exp"))).muxers(io.capstan.mux.standard.StandardMuxers.selector(io.capstan.mux.Container.AUTO, false)), e -> {}).build())
                .build();
        WhipServer server = WhipServer.start(new InetSocketAddress("127.0.0.1", 0), "/whip", h, 4);
        try (WhipPublisher p = WhipPublisher.start()) {
            Map<String, Object> r = p.publish(new WhipPublisher.Publish(server.endpoint().toString(), null, "VP8", "devices", 2), Duration.ofSeconds(40));
            System.err.println("RESULT " + r);
        } finally { server.close(); ports.close(); }
    }
}
