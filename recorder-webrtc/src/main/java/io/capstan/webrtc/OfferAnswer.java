package io.capstan.webrtc;

import io.capstan.media.Codec;
import io.capstan.media.MediaKind;
import io.capstan.sdp.Attribute;
import io.capstan.sdp.Direction;
import io.capstan.sdp.MediaDescription;
import io.capstan.sdp.RtpFormat;
import io.capstan.sdp.SdpException;
import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;
import io.capstan.session.TrackSpec;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * Answers a WHIP offer (RFC 9725 section 4.2, JSEP RFC 8829 section 5.3) as a receive-only, ICE-lite
 * (RFC 8445 section 2.5), DTLS-passive (RFC 8842) endpoint.
 *
 * <p>Per m= line it keeps exactly one payload type: the most preferred codec of {@link AnswerOptions#preference()}
 * that the recorder can write together with the codecs already chosen for earlier m= lines (H.264 only with
 * {@code packetization-mode=1}, RFC 6184 section 8.1, and {@code profile-level-id=42e01f} first). m= lines that are
 * disabled, not audio/video, not sent by the browser, outside the BUNDLE group or without a usable codec get port 0
 * (RFC 3264 section 6). The answer keeps, of what the browser offered, {@code a=rtcp-fb} {@code nack},
 * {@code nack pli} and {@code ccm fir} (RFC 4585, RFC 5104) and the {@code a=extmap} (RFC 8285) of the MID
 * (RFC 8843 section 15.2) and abs-capture-time extensions.
 *
 * <pre>
 * v=0 / o= / s=- / t=0 0
 * a=ice-lite
 * a=group:BUNDLE &lt;accepted mids&gt;
 * m=&lt;media&gt; &lt;port&gt; UDP/TLS/RTP/SAVPF &lt;pt&gt;      (port 0 and the offered formats when rejected)
 *   c=, a=mid, a=recvonly, a=rtcp-mux, a=ice-ufrag, a=ice-pwd, a=fingerprint, a=setup:passive,
 *   a=rtpmap, a=fmtp, a=rtcp-fb..., a=extmap..., a=candidate... typ host, a=end-of-candidates
 * </pre>
 */
public final class OfferAnswer {

    /** RFC 8843 section 15.2. */
    public static final String MID_EXTENSION = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /** libwebrtc's absolute capture time (sender NTP capture clock). */
    public static final String ABS_CAPTURE_TIME_EXTENSION =
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";

    private static final Set<String> EXTENSIONS = Set.of(MID_EXTENSION, ABS_CAPTURE_TIME_EXTENSION);
    private static final Set<String> FEEDBACK = Set.of("nack", "nack pli", "ccm fir");

    private OfferAnswer() {
    }

    public static Negotiation answer(String offer, AnswerOptions options) throws OfferException {
        return answer(offer, options, new SecureRandom());
    }

    /** With an injected random source (ICE credentials, o= session id), for deterministic tests; ICE-lite. */
    public static Negotiation answer(String offer, AnswerOptions options, Random random) throws OfferException {
        return answer(offer, options, IceCredentials.random(random), true, random);
    }

    /**
     * The answer of a transport that brings its own ICE credentials ({@link WebRtcTransport.Pending#localIce()}):
     * {@code a=ice-lite} only when {@code iceLite}.
     */
    public static Negotiation answer(String offer, AnswerOptions options, IceCredentials localIce, boolean iceLite,
                                     Random random) throws OfferException {
        SessionDescription sdp;
        try {
            sdp = SdpParser.parse(offer);
        } catch (SdpException e) {
            throw new OfferException(OfferException.Reason.MALFORMED, "the offer is not a usable SDP: "
                    + e.getMessage(), e);
        }
        List<String> bundle = bundleGroup(sdp);
        MediaDescription reference = sdp.media().stream().filter(m -> m.port() != 0).findFirst()
                .orElseThrow(() -> new OfferException(OfferException.Reason.NO_COMMON_CODEC,
                        "every m= line of the offer is disabled (port 0): there is nothing to record"));
        IceCredentials remoteIce = iceCredentials(sdp, reference);
        DtlsFingerprint remoteFingerprint = fingerprint(sdp, reference);
        String remoteSetup = setup(sdp, reference);
        long active = sdp.media().stream().filter(m -> m.port() != 0).count();
        if (bundle == null && active > 1) {
            throw new OfferException(OfferException.Reason.MALFORMED, "the offer has " + active
                    + " m= lines but no a=group:BUNDLE; WHIP sends all media over one transport (RFC 9725"
                    + " section 4.2)");
        }

        List<Codec> chosenCodecs = new ArrayList<>();
        List<Choice> choices = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        for (MediaDescription m : sdp.media()) {
            Choice c = choose(m, bundle, options, chosenCodecs);
            choices.add(c);
            if (c.format != null) {
                chosenCodecs.add(c.codec);
            } else {
                rejected.add(c.rejection);
            }
        }
        if (chosenCodecs.isEmpty()) {
            throw new OfferException(OfferException.Reason.NO_COMMON_CODEC,
                    "the offer has no media Capstan can record: " + String.join("; ", rejected));
        }

        Map<MediaKind, Integer> perKind = new HashMap<>();
        for (Choice c : choices) {
            if (c.format != null) {
                perKind.merge(c.codec.kind(), 1, Integer::sum);
            }
        }
        List<NegotiatedTrack> tracks = new ArrayList<>();
        for (Choice c : choices) {
            if (c.format == null) {
                continue;
            }
            String kind = c.codec.kind().name().toLowerCase(Locale.ROOT);
            String mid = c.m.mid().orElse(kind);
            String id = perKind.get(c.codec.kind()) == 1 ? kind : kind + "-" + mid;
            List<Long> ssrcs = offeredSsrcs(c.m);
            TrackSpec spec = new TrackSpec(id, c.codec, c.format.payloadType(), c.format.clockRate(),
                    c.format.channels(), c.format.parameters(), ssrcs.isEmpty() ? 0 : ssrcs.get(0));
            tracks.add(new NegotiatedTrack(mid, spec, ssrcs, c.extmap));
        }
        String answer = write(sdp, bundle, choices, options, localIce, iceLite, random);
        return new Negotiation(answer, remoteIce, remoteFingerprint, remoteSetup, localIce, options.fingerprint(),
                options.candidates(), remoteCandidates(sdp, reference), tracks, rejected);
    }

    /** One m= line's outcome: a chosen format, or the sentence saying why it is rejected. */
    private static final class Choice {
        final MediaDescription m;
        RtpFormat format;
        Codec codec;
        String rejection;
        final Map<String, Integer> extmap = new LinkedHashMap<>();

        Choice(MediaDescription m) {
            this.m = m;
        }
    }

    private static Choice choose(MediaDescription m, List<String> bundle, AnswerOptions options,
                                 List<Codec> chosenSoFar) {
        Choice c = new Choice(m);
        String where = "m=" + m.media() + m.mid().map(id -> " (mid " + id + ")").orElse("");
        if (m.port() == 0) {
            c.rejection = where + " is disabled in the offer";
            return c;
        }
        if (m.kind().isEmpty()) {
            c.rejection = where + " is not audio or video";
            return c;
        }
        if (!m.protocol().toUpperCase(Locale.ROOT).contains("SAVP")) {
            c.rejection = where + " uses " + m.protocol() + ", not DTLS-SRTP (UDP/TLS/RTP/SAVPF)";
            return c;
        }
        if (m.direction() == Direction.RECVONLY || m.direction() == Direction.INACTIVE) {
            c.rejection = where + " is " + m.direction().name().toLowerCase(Locale.ROOT)
                    + ": the browser sends nothing on it";
            return c;
        }
        if (bundle != null && (m.mid().isEmpty() || !bundle.contains(m.mid().get()))) {
            c.rejection = where + " is not in the BUNDLE group";
            return c;
        }
        if (!m.rtcpMux()) {
            c.rejection = where + " has no a=rtcp-mux; WHIP needs RTP and RTCP on one port";
            return c;
        }
        List<RtpFormat> candidates = new ArrayList<>();
        for (RtpFormat f : m.formats()) {
            Optional<Codec> codec = f.codec();
            if (codec.isPresent() && codec.get().kind() == m.kind().get()
                    && options.preference().contains(codec.get()) && usable(codec.get(), f)) {
                candidates.add(f);
            }
        }
        candidates.sort(Comparator.comparingInt((RtpFormat f) -> options.preference().indexOf(f.codec().get()))
                .thenComparingInt(OfferAnswer::profileRank));
        for (RtpFormat f : candidates) {
            List<Codec> together = new ArrayList<>(chosenSoFar);
            together.add(f.codec().get());
            if (options.canRecord().test(together)) {
                c.format = f;
                c.codec = f.codec().get();
                c.extmap.putAll(extensions(m));
                return c;
            }
        }
        List<String> offered = new ArrayList<>(new LinkedHashSet<>(m.formats().stream()
                .map(f -> f.encodingName().isEmpty() ? "PT " + f.payloadType() : f.encodingName()).toList()));
        c.rejection = where + " offers no codec Capstan can record"
                + (chosenSoFar.isEmpty() ? "" : " together with " + chosenSoFar)
                + " (offered: " + String.join(", ", offered) + ")";
        return c;
    }

    /** H.264 only in packetization mode 1 (RFC 6184 section 6.3: FU-A and STAP-A, what browsers send). */
    private static boolean usable(Codec codec, RtpFormat f) {
        if (codec == Codec.H264) {
            return f.parameter("packetization-mode").map(String::trim).orElse("0").equals("1");
        }
        return true;
    }

    /** Among H.264 formats: 42e01f (constrained baseline 3.1) first, then other constrained baseline, the rest. */
    private static int profileRank(RtpFormat f) {
        if (f.codec().orElse(null) != Codec.H264) {
            return 0;
        }
        String p = f.parameter("profile-level-id").orElse("").toLowerCase(Locale.ROOT);
        if (p.equals("42e01f")) {
            return 0;
        }
        return p.startsWith("42e0") ? 1 : 2;
    }

    /** RFC 8285 section 8: {@code a=extmap:<id>[/<direction>] <uri> [<attributes>]}; only the ones kept. */
    private static Map<String, Integer> extensions(MediaDescription m) {
        Map<String, Integer> r = new LinkedHashMap<>();
        for (Attribute a : m.attributes()) {
            if (!a.name().equalsIgnoreCase("extmap") || a.value() == null) {
                continue;
            }
            String[] t = a.value().trim().split("\\s+");
            if (t.length < 2) {
                continue;
            }
            try {
                int id = Integer.parseInt(t[0].split("/")[0]);
                if (id >= 1 && id <= 255 && EXTENSIONS.contains(t[1])) {
                    r.putIfAbsent(t[1], id);
                }
            } catch (NumberFormatException e) {
                // not an extension we keep
            }
        }
        return r;
    }

    /** The sender's SSRCs: the first of an {@code a=ssrc-group:FID} (RFC 5576 section 4.2) leads. */
    private static List<Long> offeredSsrcs(MediaDescription m) {
        LinkedHashSet<Long> r = new LinkedHashSet<>();
        for (Attribute a : m.attributes()) {
            if (a.name().equalsIgnoreCase("ssrc-group") && a.value() != null) {
                String[] t = a.value().trim().split("\\s+");
                if (t.length > 1 && t[0].equalsIgnoreCase("FID")) {
                    try {
                        r.add(Long.parseLong(t[1]));
                    } catch (NumberFormatException e) {
                        // the parser checked a=ssrc; a bad group is ignored
                    }
                }
            }
        }
        r.addAll(m.ssrcIds());
        return new ArrayList<>(r);
    }

    private static List<String> bundleGroup(SessionDescription sdp) {
        for (Attribute a : sdp.attributes()) {
            if (a.name().equalsIgnoreCase("group") && a.value() != null) {
                String[] t = a.value().trim().split("\\s+");
                if (t[0].equalsIgnoreCase("BUNDLE")) {
                    return List.of(t).subList(1, t.length);
                }
            }
        }
        return null;
    }

    /** Media level first, then session level. */
    private static Optional<String> attribute(SessionDescription sdp, MediaDescription m, String name) {
        Optional<String> v = m.attribute(name).flatMap(Attribute::valueOptional);
        if (v.isPresent()) {
            return v.map(String::trim);
        }
        return sdp.attributes().stream().filter(a -> a.name().equalsIgnoreCase(name)).findFirst()
                .flatMap(Attribute::valueOptional).map(String::trim);
    }

    private static IceCredentials iceCredentials(SessionDescription sdp, MediaDescription m) throws OfferException {
        Optional<String> ufrag = attribute(sdp, m, "ice-ufrag");
        Optional<String> pwd = attribute(sdp, m, "ice-pwd");
        if (ufrag.isEmpty() || pwd.isEmpty()) {
            throw new OfferException(OfferException.Reason.MISSING_ICE_CREDENTIALS, "the offer has no "
                    + (ufrag.isEmpty() ? "a=ice-ufrag" : "a=ice-pwd")
                    + "; a WHIP client must send its ICE credentials (RFC 8839 section 5.4)");
        }
        IceCredentials ice = new IceCredentials(ufrag.get(), pwd.get());
        String problem = ice.problem();
        if (problem != null) {
            throw new OfferException(OfferException.Reason.MALFORMED, "the offer's " + problem);
        }
        return ice;
    }

    private static DtlsFingerprint fingerprint(SessionDescription sdp, MediaDescription m) throws OfferException {
        List<String> values = new ArrayList<>();
        for (Attribute a : m.attributes()) {
            if (a.name().equalsIgnoreCase("fingerprint") && a.value() != null) {
                values.add(a.value());
            }
        }
        if (values.isEmpty()) {
            for (Attribute a : sdp.attributes()) {
                if (a.name().equalsIgnoreCase("fingerprint") && a.value() != null) {
                    values.add(a.value());
                }
            }
        }
        if (values.isEmpty()) {
            throw new OfferException(OfferException.Reason.MISSING_FINGERPRINT, "the offer has no a=fingerprint;"
                    + " without the browser's certificate fingerprint DTLS-SRTP cannot be authenticated"
                    + " (RFC 8122 section 5, RFC 8827 section 6.5)");
        }
        List<DtlsFingerprint> parsed = new ArrayList<>();
        for (String v : values) {
            try {
                parsed.add(DtlsFingerprint.parse(v));
            } catch (IllegalArgumentException e) {
                throw new OfferException(OfferException.Reason.MALFORMED, "the offer's " + e.getMessage(), e);
            }
        }
        return parsed.stream().filter(f -> f.algorithm().equals("sha-256")).findFirst().orElse(parsed.get(0));
    }

    /** RFC 8842 section 5.2: the offerer says actpass (or active); Capstan answers passive. */
    private static String setup(SessionDescription sdp, MediaDescription m) throws OfferException {
        String setup = attribute(sdp, m, "setup").orElse("active").toLowerCase(Locale.ROOT);
        if (!setup.equals("actpass") && !setup.equals("active")) {
            throw new OfferException(OfferException.Reason.MALFORMED, "the offer's a=setup:" + setup
                    + " leaves no DTLS role for Capstan, which is passive; offer a=setup:actpass (RFC 8842)");
        }
        return setup;
    }

    private static String write(SessionDescription offer, List<String> bundle, List<Choice> choices,
                                AnswerOptions options, IceCredentials ice, boolean iceLite, Random random) {
        StringBuilder b = new StringBuilder(2048);
        InetSocketAddress first = options.candidates().get(0);
        long sessionId = random.nextLong() & 0x3FFFFFFFFFFFFFFFL;
        line(b, "v=0");
        line(b, "o=capstan " + sessionId + " 1 IN " + addressType(first) + " " + address(first));
        line(b, "s=-");
        line(b, "t=0 0");
        if (iceLite) {
            line(b, "a=ice-lite");
        }
        if (bundle != null) {
            List<String> accepted = choices.stream().filter(c -> c.format != null)
                    .map(c -> c.m.mid().orElseThrow()).toList();
            line(b, "a=group:BUNDLE" + (accepted.isEmpty() ? "" : " " + String.join(" ", accepted)));
        }
        for (Choice c : choices) {
            MediaDescription m = c.m;
            if (c.format == null) {
                line(b, "m=" + m.media() + " 0 " + m.protocol() + " " + String.join(" ", m.formatTokens()));
                line(b, "c=IN IP4 0.0.0.0");
                m.mid().ifPresent(mid -> line(b, "a=mid:" + mid));
                continue;
            }
            int pt = c.format.payloadType();
            line(b, "m=" + m.media() + " " + first.getPort() + " " + m.protocol() + " " + pt);
            line(b, "c=IN " + addressType(first) + " " + address(first));
            m.mid().ifPresent(mid -> line(b, "a=mid:" + mid));
            line(b, "a=recvonly");
            line(b, "a=rtcp-mux");
            line(b, "a=ice-ufrag:" + ice.ufrag());
            line(b, "a=ice-pwd:" + ice.pwd());
            line(b, "a=fingerprint:" + options.fingerprint().attributeValue());
            line(b, "a=setup:passive");
            RtpFormat f = c.format;
            line(b, "a=rtpmap:" + pt + " " + f.encodingName() + "/" + f.clockRate()
                    + (m.kind().get() == MediaKind.AUDIO && f.channels() > 1 ? "/" + f.channels() : ""));
            if (!f.fmtp().isEmpty()) {
                line(b, "a=fmtp:" + pt + " " + f.fmtp());
            }
            for (String fb : feedback(m, pt)) {
                line(b, "a=rtcp-fb:" + pt + " " + fb);
            }
            c.extmap.forEach((uri, id) -> line(b, "a=extmap:" + id + " " + uri));
            int i = 0;
            for (InetSocketAddress cand : options.candidates()) {
                // RFC 8445 section 5.1.2.1: type preference 126 (host), local preference by order, component 1
                long priority = (126L << 24) + ((long) (65535 - i) << 8) + (256 - 1);
                line(b, "a=candidate:" + (i + 1) + " 1 udp " + priority + " " + address(cand) + " "
                        + cand.getPort() + " typ host");
                i++;
            }
            line(b, "a=end-of-candidates");
        }
        return b.toString();
    }

    /**
     * The {@code a=candidate} values of the bundle's transport (the first active m= line, RFC 8843), session-level
     * ones included; the ICE agent adds those it can use (mDNS names it cannot resolve are skipped there).
     */
    private static List<String> remoteCandidates(SessionDescription sdp, MediaDescription reference) {
        List<String> r = new ArrayList<>();
        for (Attribute a : sdp.attributes()) {
            if (a.name().equalsIgnoreCase("candidate") && a.value() != null) {
                r.add(a.value().trim());
            }
        }
        for (Attribute a : reference.attributes()) {
            if (a.name().equalsIgnoreCase("candidate") && a.value() != null) {
                r.add(a.value().trim());
            }
        }
        return r;
    }

    /** The offered feedback types (RFC 4585 section 4.2) of this payload type (or {@code *}) that are kept. */
    private static List<String> feedback(MediaDescription m, int pt) {
        LinkedHashSet<String> r = new LinkedHashSet<>();
        for (Attribute a : m.attributes()) {
            if (!a.name().equalsIgnoreCase("rtcp-fb") || a.value() == null) {
                continue;
            }
            String v = a.value().trim();
            int sp = v.indexOf(' ');
            if (sp < 0) {
                continue;
            }
            String target = v.substring(0, sp);
            String type = v.substring(sp + 1).trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
            if ((target.equals("*") || target.equals(Integer.toString(pt))) && FEEDBACK.contains(type)) {
                r.add(type);
            }
        }
        return new ArrayList<>(r);
    }

    private static String addressType(InetSocketAddress a) {
        return a.getAddress() instanceof Inet6Address ? "IP6" : "IP4";
    }

    private static String address(InetSocketAddress a) {
        return a.getAddress().getHostAddress();
    }

    private static void line(StringBuilder b, String line) {
        b.append(line).append("\r\n");
    }
}
