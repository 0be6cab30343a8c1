package io.capstan.webrtc.browser;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.capstan.testing.BrowserPlayback;
import io.capstan.testing.MiniJson;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes to a WHIP endpoint from headless Chromium, as a browser page would: the test's page (served from its
 * own origin, so the WHIP endpoint's CORS is exercised) creates an {@code RTCPeerConnection} with one video and one
 * audio transceiver, POSTs the offer, applies the answer, sends for a while once connected, then sends
 * {@code DELETE} and reports what it saw (connection states, the outbound-rtp statistics) back as JSON.
 *
 * <p>Sources: {@code devices} uses Chromium's fake camera and microphone
 * ({@code --use-fake-device-for-media-stream --use-fake-ui-for-media-stream}); {@code sync} draws a canvas that turns
 * white for 100 ms at every whole second of its AudioContext clock while a 1 kHz tone plays for exactly those
 * 100 ms, so the recording's audio/video offset can be measured against what was sent.
 */
public final class WhipPublisher implements AutoCloseable {

    /** What to publish. */
    public record Publish(String whipUrl, String token, String videoCodec, String source, double seconds) {
    }

    private final String binary;
    private final HttpServer server;
    private final Path profile;
    private final AtomicReference<String> state = new AtomicReference<>("{}");
    private volatile CompletableFuture<String> result = new CompletableFuture<>();

    private WhipPublisher(String binary) throws IOException {
        this.binary = binary;
        this.profile = Files.createTempDirectory("capstan-chromium-");
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Skips the calling test (or fails it under {@code -Dcapstan.requireTools=true}) when Chromium is missing. */
    public static WhipPublisher start() {
        String bin = BrowserPlayback.require();
        try {
            return new WhipPublisher(bin);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the page and returns its report (a MiniJson map); fails with the page's last state on timeout. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> publish(Publish p, Duration timeout) throws IOException, InterruptedException {
        result = new CompletableFuture<>();
        state.set("{}");
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        String url = base + "/page?whip=" + enc(p.whipUrl()) + "&token=" + enc(p.token() == null ? "" : p.token())
                + "&video=" + enc(p.videoCodec()) + "&source=" + enc(p.source()) + "&seconds=" + p.seconds();
        List<String> cmd = new ArrayList<>(List.of(binary));
        cmd.addAll(BrowserPlayback.FLAGS);
        cmd.addAll(List.of("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--user-data-dir=" + profile, url));
        Path stderr = profile.resolve("stderr.txt");
        Process proc = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile()).start();
        try {
            String json = result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return (Map<String, Object>) MiniJson.parse(json);
        } catch (TimeoutException e) {
            throw new AssertionError("the WHIP page did not finish within " + timeout.toSeconds() + " s; last state: "
                    + state.get() + "\nchromium stderr (tail): " + tail(stderr));
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e.getCause());
        } finally {
            List<ProcessHandle> all = new ArrayList<>(proc.toHandle().descendants().toList());
            all.add(proc.toHandle());
            all.forEach(ProcessHandle::destroyForcibly);
            proc.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String tail(Path p) {
        try {
            String s = Files.readString(p);
            return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
        } catch (IOException e) {
            return "(none)";
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (ex.getRequestMethod().equals("POST")) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (path.equals("/state")) {
                    state.set(body);
                } else if (path.equals("/result")) {
                    result.complete(body);
                }
                ex.sendResponseHeaders(204, -1);
                return;
            }
            byte[] page = PAGE.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, page.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(page);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        try (var s = Files.walk(profile)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temporary profile left behind is harmless
        }
    }

    private static final String PAGE = """
            <!doctype html><html><body><canvas id="c" width="640" height="360"></canvas><script>
            const P = new URLSearchParams(location.search);
            const state = {log: []};
            const t0 = performance.now();
            const log = m => state.log.push(Math.round(performance.now() - t0) + ' ' + m);
            const post = (p, o) => fetch(p, {method: 'POST', body: JSON.stringify(o)}).catch(() => {});
            const sleep = ms => new Promise(r => setTimeout(r, ms));
            setInterval(() => post('/state', state), 500);
            async function until(f, ms) { const end = performance.now() + ms; while (!f() && performance.now() < end) await sleep(20); return f(); }
            function syncSource() {
              const canvas = document.getElementById('c'), g = canvas.getContext('2d');
              const ctx = new AudioContext({sampleRate: 48000});
              const dst = ctx.createMediaStreamDestination();
              const osc = ctx.createOscillator(); osc.frequency.value = 1000;
              const gain = ctx.createGain(); gain.gain.value = 0;
              osc.connect(gain).connect(dst); osc.start();
              const first = Math.ceil(ctx.currentTime) + 1;
              for (let k = 0; k < 60; k++) { gain.gain.setValueAtTime(0.5, first + k); gain.gain.setValueAtTime(0, first + k + 0.1); }
              function paint() {
                const t = ctx.currentTime, f = t - Math.floor(t);
                g.fillStyle = (t >= first && f < 0.1) ? '#fff' : '#000'; g.fillRect(0, 0, 640, 360);
              }
              setInterval(paint, 4); paint();
              const v = canvas.captureStream(30).getVideoTracks()[0];
              return new MediaStream([v, dst.stream.getAudioTracks()[0]]);
            }
            async function main() {
              const stream = P.get('source') === 'sync' ? syncSource()
                  : await navigator.mediaDevices.getUserMedia({audio: true, video: {width: 640, height: 480, frameRate: 30}});
              const pc = new RTCPeerConnection();
              pc.onconnectionstatechange = () => log('connection ' + pc.connectionState);
              pc.oniceconnectionstatechange = () => log('ice ' + pc.iceConnectionState);
              const vt = pc.addTransceiver(stream.getVideoTracks()[0], {direction: 'sendonly'});
              pc.addTransceiver(stream.getAudioTracks()[0], {direction: 'sendonly'});
              const want = P.get('video').toLowerCase();
              const caps = RTCRtpSender.getCapabilities('video').codecs;
              state.videoCodecs = [...new Set(caps.map(c => c.mimeType))];
              const pref = caps.filter(c => c.mimeType.toLowerCase() === 'video/' + want
                  && (want !== 'h264' || /packetization-mode=1/.test(c.sdpFmtpLine || '')));
              if (!pref.length) { state.error = 'this Chromium cannot send ' + want; return; }
              vt.setCodecPreferences(pref);
              await pc.setLocalDescription(await pc.createOffer());
              await until(() => pc.iceGatheringState === 'complete', 2000);
              const headers = {'Content-Type': 'application/sdp'};
              if (P.get('token')) headers['Authorization'] = 'Bearer ' + P.get('token');
              const res = await fetch(P.get('whip'), {method: 'POST', headers, body: pc.localDescription.sdp});
              state.postStatus = res.status;
              const text = await res.text();
              if (res.status !== 201) { state.postBody = text; return; }
              state.location = new URL(res.headers.get('Location'), P.get('whip')).href;
              state.answer = text;
              await pc.setRemoteDescription({type: 'answer', sdp: text});
              await until(() => ['connected', 'failed', 'closed'].includes(pc.connectionState), 20000);
              state.connection = pc.connectionState;
              if (pc.connectionState === 'connected') {
                state.connectedAtMs = Math.round(performance.now() - t0);
                await sleep(Number(P.get('seconds')) * 1000);
                state.outbound = [];
                (await pc.getStats()).forEach(s => { if (s.type === 'outbound-rtp') state.outbound.push(
                    {kind: s.kind, packetsSent: s.packetsSent, framesEncoded: s.framesEncoded, ssrc: s.ssrc,
                     nackCount: s.nackCount, pliCount: s.pliCount, firCount: s.firCount}); });
              }
              const d = await fetch(state.location, {method: 'DELETE', headers: P.get('token') ? {'Authorization': 'Bearer ' + P.get('token')} : {}});
              state.deleteStatus = d.status;
              pc.close();
            }
            main().catch(e => { state.error = String(e && e.stack || e); })
                  .finally(() => post('/result', state));
            </script></body></html>
            """;
}
