package io.capstan.sdp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Parses the parts of an SDP (RFC 8866) that recording needs: {@code c=}, {@code m=} and the attributes
 * {@code rtpmap}, {@code fmtp}, {@code framerate}, {@code ptime}, {@code ssrc}, {@code rtcp}, {@code rtcp-mux},
 * {@code mid} and the direction attributes.
 *
 * <p>Lenient where real senders are sloppy: CRLF or LF line ends, blank lines, missing {@code v=}/{@code o=}/
 * {@code s=}/{@code t=}, lines in any order, unknown line types and attributes, spaces around fmtp parameters.
 * Strict where the recording would go wrong: a line that is not {@code <letter>=<value>}, no {@code m=} section, a
 * bad port, payload type, rtpmap, framerate or ssrc is an {@link SdpException} naming the line.
 *
 * <p>Payload types without an rtpmap get their RFC 3551 section 6 static assignment (PCMU/8000 for 0, PCMA/8000
 * for 8, ...).
 */
public final class SdpParser {

    /** Longer input is rejected: an SDP is a few kilobytes. */
    public static final int MAX_LENGTH = 1024 * 1024;

    private SdpParser() {
    }

    public static SessionDescription parse(Path path) throws IOException, SdpException {
        if (Files.size(path) > MAX_LENGTH) {
            throw new SdpException("not an SDP: " + path + " is larger than " + MAX_LENGTH + " bytes");
        }
        return parse(new String(Files.readAllBytes(path), StandardCharsets.UTF_8));
    }

    public static SessionDescription parse(InputStream in) throws IOException, SdpException {
        byte[] bytes = in.readNBytes(MAX_LENGTH + 1);
        if (bytes.length > MAX_LENGTH) {
            throw new SdpException("not an SDP: input is larger than " + MAX_LENGTH + " bytes");
        }
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    public static SessionDescription parse(String text) throws SdpException {
        if (text == null || text.isBlank()) {
            throw new SdpException("not an SDP: the description is empty");
        }
        if (text.length() > MAX_LENGTH) {
            throw new SdpException("not an SDP: longer than " + MAX_LENGTH + " characters");
        }
        return new Parser().run(text);
    }

    /** Splits an fmtp parameter string on ';', each parameter on its first '=' (keys lower-cased, values kept). */
    public static Map<String, String> parseFmtpParameters(String params) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : params.split(";")) {
            String t = p.trim();
            if (t.isEmpty()) {
                continue;
            }
            int eq = t.indexOf('=');
            if (eq < 0) {
                m.put(t.toLowerCase(Locale.ROOT), "");
            } else {
                m.put(t.substring(0, eq).trim().toLowerCase(Locale.ROOT), t.substring(eq + 1).trim());
            }
        }
        return m;
    }

    /** RFC 3551 section 6, tables 4 and 5: static payload types as {name, clock rate, channels}. */
    static Optional<StaticType> staticPayloadType(int pt) {
        StaticType e = switch (pt) {
            case 0 -> new StaticType("PCMU", 8000, 1);
            case 3 -> new StaticType("GSM", 8000, 1);
            case 4 -> new StaticType("G723", 8000, 1);
            case 5 -> new StaticType("DVI4", 8000, 1);
            case 6 -> new StaticType("DVI4", 16000, 1);
            case 7 -> new StaticType("LPC", 8000, 1);
            case 8 -> new StaticType("PCMA", 8000, 1);
            case 9 -> new StaticType("G722", 8000, 1);
            case 10 -> new StaticType("L16", 44100, 2);
            case 11 -> new StaticType("L16", 44100, 1);
            case 12 -> new StaticType("QCELP", 8000, 1);
            case 13 -> new StaticType("CN", 8000, 1);
            case 14 -> new StaticType("MPA", 90000, 0);
            case 15 -> new StaticType("G728", 8000, 1);
            case 16 -> new StaticType("DVI4", 11025, 1);
            case 17 -> new StaticType("DVI4", 22050, 1);
            case 18 -> new StaticType("G729", 8000, 1);
            case 25 -> new StaticType("CelB", 90000, 0);
            case 26 -> new StaticType("JPEG", 90000, 0);
            case 28 -> new StaticType("nv", 90000, 0);
            case 31 -> new StaticType("H261", 90000, 0);
            case 32 -> new StaticType("MPV", 90000, 0);
            case 33 -> new StaticType("MP2T", 90000, 0);
            case 34 -> new StaticType("H263", 90000, 0);
            default -> null;
        };
        return Optional.ofNullable(e);
    }

    record StaticType(String name, int clockRate, int channels) {
    }

    private static final class Rtpmap {
        String name;
        int clockRate;
        int channels;
    }

    /** Collects one m= section while its lines are read. */
    private static final class MediaBuilder {
        final int line;
        final String media;
        final int port;
        final int portCount;
        final String proto;
        final List<String> tokens;
        final boolean rtp;
        Connection connection;
        Integer rtcpPort;
        boolean rtcpMux;
        String mid;
        Direction direction;
        Double frameRate;
        Integer ptime;
        final Map<Integer, Rtpmap> rtpmaps = new LinkedHashMap<>();
        final Map<Integer, String> fmtps = new LinkedHashMap<>();
        final Map<Long, Map<String, String>> ssrcs = new LinkedHashMap<>();
        final List<Attribute> attributes = new ArrayList<>();

        MediaBuilder(int line, String media, int port, int portCount, String proto, List<String> tokens) {
            this.line = line;
            this.media = media;
            this.port = port;
            this.portCount = portCount;
            this.proto = proto;
            this.tokens = tokens;
            this.rtp = proto.toUpperCase(Locale.ROOT).contains("RTP");
        }

        MediaDescription build(Optional<Connection> sessionConnection, Direction sessionDirection) {
            List<RtpFormat> formats = new ArrayList<>();
            if (rtp) {
                for (String t : tokens) {
                    int pt = Integer.parseInt(t);
                    Rtpmap map = rtpmaps.get(pt);
                    String name;
                    int rate;
                    int channels;
                    if (map != null) {
                        name = map.name;
                        rate = map.clockRate;
                        channels = map.channels > 0 ? map.channels : ("audio".equals(media) ? 1 : 0);
                    } else {
                        Optional<StaticType> st = staticPayloadType(pt);
                        name = st.map(StaticType::name).orElse("");
                        rate = st.map(StaticType::clockRate).orElse(0);
                        channels = st.map(StaticType::channels).orElse("audio".equals(media) ? 1 : 0);
                    }
                    String fmtp = fmtps.getOrDefault(pt, "");
                    formats.add(new RtpFormat(pt, name, rate, channels, parseFmtpParameters(fmtp), fmtp));
                }
            }
            List<Ssrc> ssrcList = new ArrayList<>();
            ssrcs.forEach((id, attrs) -> ssrcList.add(new Ssrc(id, attrs)));
            return new MediaDescription(media, port, portCount, proto, tokens, formats,
                    connection != null ? Optional.of(connection) : sessionConnection,
                    rtcpPort != null ? OptionalInt.of(rtcpPort) : OptionalInt.empty(), rtcpMux,
                    Optional.ofNullable(mid), direction != null ? direction : sessionDirection,
                    frameRate != null ? OptionalDouble.of(frameRate) : OptionalDouble.empty(),
                    ptime != null ? OptionalInt.of(ptime) : OptionalInt.empty(), ssrcList, attributes);
        }
    }

    private static final class Parser {
        String origin = "";
        String sessionName = "";
        Connection sessionConnection;
        Direction sessionDirection;
        final List<Attribute> sessionAttributes = new ArrayList<>();
        final List<MediaBuilder> media = new ArrayList<>();
        int lineNo;

        SessionDescription run(String text) throws SdpException {
            if (text.charAt(0) == '\uFEFF') {
                text = text.substring(1);
            }
            String[] lines = text.split("\n", -1);
            boolean seenValid = false;
            for (int i = 0; i < lines.length; i++) {
                lineNo = i + 1;
                String line = lines[i];
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                }
                if (line.isBlank()) {
                    continue;
                }
                if (line.length() < 2 || line.charAt(1) != '=' || line.charAt(0) < 'a' || line.charAt(0) > 'z') {
                    String shown = line.length() > 40 ? line.substring(0, 40) + "..." : line;
                    if (!seenValid) {
                        throw new SdpException("not an SDP: expected a line like 'v=0', got '" + printable(shown)
                                + "'", lineNo);
                    }
                    throw new SdpException("expected '<letter>=<value>', got '" + printable(shown) + "'", lineNo);
                }
                seenValid = true;
                line(line.charAt(0), line.substring(2));
            }
            if (media.isEmpty()) {
                throw new SdpException("no m= line: the SDP describes no media to record");
            }
            Optional<Connection> sc = Optional.ofNullable(sessionConnection);
            Direction sd = sessionDirection != null ? sessionDirection : Direction.SENDRECV;
            List<MediaDescription> ms = new ArrayList<>();
            for (MediaBuilder mb : media) {
                ms.add(mb.build(sc, sd));
            }
            return new SessionDescription(origin, sessionName, sc, sd, sessionAttributes, ms);
        }

        private MediaBuilder current() {
            return media.isEmpty() ? null : media.get(media.size() - 1);
        }

        private void line(char type, String value) throws SdpException {
            MediaBuilder m = current();
            switch (type) {
                case 'v' -> {
                    if (!value.trim().equals("0")) {
                        throw new SdpException("unsupported SDP version 'v=" + value + "' (only v=0 exists)", lineNo);
                    }
                }
                case 'o' -> origin = value.trim();
                case 's' -> {
                    if (m == null) {
                        sessionName = value.trim();
                    }
                }
                case 'c' -> {
                    Connection c = connection(value);
                    if (m == null) {
                        sessionConnection = c;
                    } else {
                        m.connection = c;
                    }
                }
                case 'm' -> media.add(mediaLine(value));
                case 'a' -> attribute(value, m);
                default -> {
                    // b=, t=, r=, z=, k=, i=, u=, e=, p= and unknown types: not needed for recording
                }
            }
        }

        private Connection connection(String value) throws SdpException {
            String[] t = value.trim().split("\\s+");
            if (t.length < 3) {
                throw new SdpException("c= needs '<nettype> <addrtype> <address>', got 'c=" + value + "'", lineNo);
            }
            String[] parts = t[2].split("/");
            if (parts.length == 0) { // "/" alone: split drops the empty strings
                throw new SdpException("bad c= address '" + t[2] + "'", lineNo);
            }
            int ttl = 0;
            int count = 1;
            try {
                boolean ip6 = t[1].equalsIgnoreCase("IP6");
                if (parts.length > 1) {
                    // IP4 multicast: addr/ttl[/count]; IP6: addr[/count] (RFC 8866 section 5.7)
                    if (ip6) {
                        count = Integer.parseInt(parts[1]);
                    } else {
                        ttl = Integer.parseInt(parts[1]);
                        if (parts.length > 2) {
                            count = Integer.parseInt(parts[2]);
                        }
                    }
                }
            } catch (NumberFormatException e) {
                throw new SdpException("bad c= address suffix in '" + t[2] + "'", lineNo);
            }
            return new Connection(t[0], t[1].toUpperCase(Locale.ROOT), parts[0], ttl, count);
        }

        private MediaBuilder mediaLine(String value) throws SdpException {
            String[] t = value.trim().split("\\s+");
            if (t.length < 4) {
                throw new SdpException("m= needs '<media> <port> <proto> <fmt> ...', got 'm=" + value + "'", lineNo);
            }
            String[] portParts = t[1].split("/");
            if (portParts.length == 0) { // "/" alone: split drops the empty strings
                throw new SdpException("bad port in m= line: '" + t[1] + "'", lineNo);
            }
            int port = parseInt(portParts[0], 0, 65535, "port in m= line");
            int count = portParts.length > 1 ? parseInt(portParts[1], 1, 65535, "port count in m= line") : 1;
            // trimmed as parseInt trims: split("\\s+") leaves control characters (NUL...) that trim() removes, and
            // build() parses these very strings
            List<String> tokens = Arrays.stream(t, 3, t.length).map(String::trim).toList();
            MediaBuilder mb = new MediaBuilder(lineNo, t[0].toLowerCase(Locale.ROOT), port, count, t[2], tokens);
            if (mb.rtp) {
                for (String f : tokens) {
                    parseInt(f, 0, 127, "payload type in m= line");
                }
            }
            return mb;
        }

        private void attribute(String value, MediaBuilder m) throws SdpException {
            int colon = value.indexOf(':');
            String name = (colon < 0 ? value : value.substring(0, colon)).trim();
            String v = colon < 0 ? null : value.substring(colon + 1);
            if (name.isEmpty()) {
                throw new SdpException("attribute without a name: 'a=" + value + "'", lineNo);
            }
            Attribute a = new Attribute(name, v);
            Direction dir = switch (name.toLowerCase(Locale.ROOT)) {
                case "sendrecv" -> Direction.SENDRECV;
                case "sendonly" -> Direction.SENDONLY;
                case "recvonly" -> Direction.RECVONLY;
                case "inactive" -> Direction.INACTIVE;
                default -> null;
            };
            if (m == null) {
                sessionAttributes.add(a);
                if (dir != null) {
                    sessionDirection = dir;
                }
                return;
            }
            m.attributes.add(a);
            if (dir != null) {
                m.direction = dir;
                return;
            }
            switch (name.toLowerCase(Locale.ROOT)) {
                case "rtpmap" -> rtpmap(require(a), m);
                case "fmtp" -> fmtp(require(a), m);
                case "framerate" -> {
                    try {
                        double fr = Double.parseDouble(require(a).trim());
                        if (!(fr > 0 && fr < 10000)) {
                            throw new NumberFormatException();
                        }
                        m.frameRate = fr;
                    } catch (NumberFormatException e) {
                        throw new SdpException("bad a=framerate value '" + v + "'", lineNo);
                    }
                }
                case "ptime" -> {
                    try {
                        m.ptime = (int) Math.round(Double.parseDouble(require(a).trim()));
                    } catch (NumberFormatException e) {
                        throw new SdpException("bad a=ptime value '" + v + "'", lineNo);
                    }
                }
                case "rtcp" -> m.rtcpPort = parseInt(require(a).trim().split("\\s+")[0], 0, 65535,
                        "port in a=rtcp");
                case "rtcp-mux" -> m.rtcpMux = true;
                case "mid" -> m.mid = require(a).trim();
                case "ssrc" -> ssrc(require(a), m);
                default -> {
                    // unknown attributes are kept in attributes()
                }
            }
        }

        private String require(Attribute a) throws SdpException {
            if (a.value() == null || a.value().isBlank()) {
                throw new SdpException("a=" + a.name() + " needs a value", lineNo);
            }
            return a.value();
        }

        /** RFC 8866 section 6.6: {@code a=rtpmap:<pt> <name>/<clock rate>[/<encoding parameters>]}. */
        private void rtpmap(String v, MediaBuilder m) throws SdpException {
            String s = v.trim();
            int sp = indexOfWhitespace(s);
            if (sp < 0) {
                throw new SdpException("a=rtpmap needs '<pt> <name>/<rate>', got 'a=rtpmap:" + v + "'", lineNo);
            }
            int pt = parseInt(s.substring(0, sp), 0, 127, "payload type in a=rtpmap");
            String[] enc = s.substring(sp).trim().split("/");
            if (enc.length < 2 || enc[0].isEmpty()) {
                throw new SdpException("a=rtpmap needs '<pt> <name>/<rate>', got 'a=rtpmap:" + v + "'", lineNo);
            }
            Rtpmap r = new Rtpmap();
            r.name = enc[0].trim();
            r.clockRate = parseInt(enc[1].trim(), 1, Integer.MAX_VALUE, "clock rate in a=rtpmap");
            r.channels = enc.length > 2 ? parseInt(enc[2].trim(), 1, 255, "channels in a=rtpmap") : 0;
            m.rtpmaps.put(pt, r);
        }

        /** RFC 8866 section 6.15: {@code a=fmtp:<format> <format specific parameters>}. */
        private void fmtp(String v, MediaBuilder m) throws SdpException {
            String s = v.trim();
            int sp = indexOfWhitespace(s);
            String fmt = sp < 0 ? s : s.substring(0, sp);
            String params = sp < 0 ? "" : s.substring(sp).trim();
            if (!m.rtp) {
                return;
            }
            int pt = parseInt(fmt, 0, 127, "payload type in a=fmtp");
            m.fmtps.put(pt, params);
        }

        /** RFC 5576 section 4.1: {@code a=ssrc:<ssrc-id> <attribute>[:<value>]}. */
        private void ssrc(String v, MediaBuilder m) throws SdpException {
            String s = v.trim();
            int sp = indexOfWhitespace(s);
            String idText = sp < 0 ? s : s.substring(0, sp);
            long id;
            try {
                id = Long.parseLong(idText);
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (id < 0 || id > 0xFFFFFFFFL) {
                throw new SdpException("bad SSRC '" + idText + "' in a=ssrc (expected 0..4294967295)", lineNo);
            }
            Map<String, String> attrs = m.ssrcs.computeIfAbsent(id, k -> new LinkedHashMap<>());
            if (sp >= 0) {
                String rest = s.substring(sp).trim();
                int c = rest.indexOf(':');
                if (c < 0) {
                    attrs.put(rest.toLowerCase(Locale.ROOT), "");
                } else {
                    attrs.put(rest.substring(0, c).toLowerCase(Locale.ROOT), rest.substring(c + 1));
                }
            }
        }

        private int parseInt(String s, int min, int max, String what) throws SdpException {
            try {
                int v = Integer.parseInt(s.trim());
                if (v < min || v > max) {
                    throw new SdpException(what + " out of range: " + v, lineNo);
                }
                return v;
            } catch (NumberFormatException e) {
                throw new SdpException("bad " + what + ": '" + s + "'", lineNo);
            }
        }

        private static int indexOfWhitespace(String s) {
            for (int i = 0; i < s.length(); i++) {
                if (Character.isWhitespace(s.charAt(i))) {
                    return i;
                }
            }
            return -1;
        }

        private static String printable(String s) {
            StringBuilder b = new StringBuilder();
            for (char c : s.toCharArray()) {
                b.append(c >= 0x20 && c < 0x7F ? c : '?');
            }
            return b.toString();
        }
    }
}
