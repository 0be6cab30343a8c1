package io.capstan.examples.cli;

import io.capstan.media.Codec;
import io.capstan.mux.Container;
import io.capstan.mux.MuxerSelector;
import io.capstan.mux.standard.StandardMuxers;
import io.capstan.session.Layout;
import io.capstan.session.RecordingEvent;
import io.capstan.session.RecordingSession;
import io.capstan.session.SegmentInfo;
import io.capstan.session.hooks.SegmentHook;
import io.capstan.session.hooks.SegmentHooks;
import io.capstan.storage.StorageSink;
import io.capstan.webrtc.AnswerOptions;
import io.capstan.webrtc.IceDtlsTransport;
import io.capstan.webrtc.SessionRequest;
import io.capstan.webrtc.WhipEvent;
import io.capstan.webrtc.WhipHandler;
import io.capstan.webrtc.WhipServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code capstan whip}: a WHIP endpoint (RFC 9725) whose every resource records into its own session, the ICE +
 * DTLS-SRTP transport on the given host candidates, and a small page at {@code /} that publishes this browser's
 * camera and microphone to it.
 */
final class WhipRecorder implements AutoCloseable {

    /** What the command line decided. */
    record Settings(InetSocketAddress http, List<InetSocketAddress> ice, String token, int maxPublishers,
                    Container container,
                    boolean perTrack, String stream, StorageSink sink, List<SegmentHook> hooks,
                    Recorder.Naming naming, UnaryOperator<RecordingSession.Builder> tuning) {
    }

    private final IceDtlsTransport transport;
    private final WhipServer server;
    private final PrintStream out;
    private final PrintStream log;
    private final List<Map<String, Object>> ended = new ArrayList<>();

    private WhipRecorder(Settings s, PrintStream out, PrintStream log) throws IOException, CliException {
        this.out = out;
        this.log = log;
        MuxerSelector muxers = StandardMuxers.selector(s.container(), s.perTrack());
        IceDtlsTransport t;
        try {
            t = IceDtlsTransport.builder().addresses(s.ice()).build();
        } catch (IOException | RuntimeException e) {
            throw new CliException(1, "cannot bind the ICE port on " + s.ice() + ": " + e.getMessage());
        }
        this.transport = t;
        WhipHandler handler = WhipHandler.builder()
                .transport(t)
                .answerOptions(t.answerOptions(AnswerOptions.canRecord(muxers)))
                .sessionFactory(req -> session(req, s, muxers))
                .bearerToken(s.token())
                .maxResources(s.maxPublishers())
                .listener(this::onEvent)
                .build();
        try {
            this.server = WhipServer.start(s.http(), "/whip", handler, 8);
        } catch (IOException e) {
            t.close();
            throw new CliException(1, "cannot listen on " + s.http().getAddress().getHostAddress() + " port "
                    + s.http().getPort() + ": " + (e.getMessage() == null ? "address in use" : e.getMessage())
                    + " (pick another with --port)");
        }
        server.context("/", ex -> {
            try (ex) {
                if (!ex.getRequestURI().getPath().equals("/") || !ex.getRequestMethod().equals("GET")) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] page;
                try (InputStream in = WhipRecorder.class.getResourceAsStream("/whip/publish.html")) {
                    page = in == null ? new byte[0] : in.readAllBytes();
                }
                ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                ex.sendResponseHeaders(200, page.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(page);
                }
            }
        });
    }

    static WhipRecorder start(Settings s, PrintStream out, PrintStream log) throws IOException, CliException {
        return new WhipRecorder(s, out, log);
    }

    InetSocketAddress httpAddress() {
        return server.address();
    }

    String endpoint() {
        return server.endpoint().toString();
    }

    List<InetSocketAddress> candidates() {
        return transport.candidates();
    }

    private RecordingSession session(SessionRequest req, Settings s, MuxerSelector muxers) {
        String stream = s.stream() + "-" + req.resourceId().substring(0, 8);
        RecordingSession.Builder b = RecordingSession.builder()
                .stream(stream)
                .id(stream)
                .sink(s.sink())
                .muxers(muxers)
                .layout(s.perTrack() ? Layout.PER_TRACK : Layout.COMBINED)
                .namingOptions(s.naming().options());
        if (s.naming().template() != null) {
            b.naming(s.naming().template()).perTrackNaming(s.naming().template());
        }
        req.applyTo(b, SegmentHooks.of(stream, this::onRecordingEvent, s.hooks()));
        return s.tuning().apply(b).build();
    }

    private void onRecordingEvent(RecordingEvent e) {
        if (e instanceof RecordingEvent.Error err) {
            log.println("capstan: warning: " + err.reason());
        } else if (e instanceof RecordingEvent.Overflow o) {
            log.println("capstan: warning: track " + o.track() + " dropped " + o.droppedFrames()
                    + " frame(s): the muxing lane is full");
        }
    }

    private void onEvent(WhipEvent e) {
        if (e instanceof WhipEvent.ResourceCreated c) {
            log.println("capstan: WHIP resource " + c.resourceId() + " recording " + String.join("+", c.tracks()));
        } else if (e instanceof WhipEvent.ResourceEnded r) {
            log.println("capstan: WHIP resource " + r.resourceId() + " ended: " + r.reason());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("resource", r.resourceId());
            m.put("reason", r.reason());
            List<Object> files = new ArrayList<>();
            for (SegmentInfo s : r.segments()) {
                out.println(CapstanCli.wrote(s));
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("path", s.location());
                f.put("container", s.container().id());
                f.put("tracks", s.tracks());
                f.put("codecs", s.formats().stream().map(x -> x.codec().name()).toList());
                f.put("frames", s.frames());
                f.put("durationMs", s.durationMicros() / 1000.0);
                f.put("bytes", s.bytes());
                files.add(f);
            }
            m.put("files", files);
            m.put("transport", new LinkedHashMap<>(r.transportStats()));
            synchronized (ended) {
                ended.add(m);
            }
        }
    }

    /** What ended so far: one entry per resource with its files and transport counters. */
    List<Map<String, Object>> ended() {
        synchronized (ended) {
            return List.copyOf(ended);
        }
    }

    /** Ends every resource (their files are committed), then releases the ports. */
    @Override
    public void close() {
        server.close();
        transport.close();
    }

    /** The codecs a container choice can take from a browser, for the startup line. */
    static String codecs(Container c, boolean perTrack) {
        MuxerSelector m = StandardMuxers.selector(c, perTrack);
        List<String> ok = new ArrayList<>();
        for (Codec v : AnswerOptions.DEFAULT_PREFERENCE) {
            if (v.isVideo() && AnswerOptions.canRecord(m).test(List.of(v, Codec.OPUS))) {
                ok.add(v.name());
            }
        }
        return String.join(", ", ok);
    }
}
