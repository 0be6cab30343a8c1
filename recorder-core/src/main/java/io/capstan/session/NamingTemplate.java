package io.capstan.session;

import io.capstan.storage.SegmentKey;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a template like {@code {stream}/{yyyy}/{MM}/{dd}/{stream}_{index}_{startTime}} into a segment key. A pure
 * function of its inputs ({@link NameValues}, the {@link NamingOptions} and the extension): no clock, no I/O.
 *
 * <p>Placeholders (aliases after the slash):
 * <pre>
 *   values from outside, encoded per {@link NamingOptions#encoding()}:
 *     {stream}/{streamName}  {room}  {track}/{trackID}  {ssrc}  {participant}/{login}  {sessionId}
 *     {mediaSessionId}  {codec}  {videoCodec}  {audioCodec}
 *   times:
 *     {startTime}        media start as wall clock, UTC, yyyyMMdd'T'HHmmss'Z'   e.g. 20261121T101500Z
 *     {endTime}          media end (start + duration), same format              needs the end (see below)
 *     {startTimeMillis}  server clock when the segment was opened, epoch milliseconds
 *     {endTimeMillis}    server clock when the segment was closed, epoch milliseconds   needs the end
 *     {duration}         media duration in whole milliseconds                   needs the end
 *     {yyyy} {MM} {dd} {HH} {mm} {ss}   date parts of {startTime} (UTC, zero-padded)
 *   {index}              segment number from 1 per session and file; with numbering off ({@link
 *                        NamingOptions#indexEnabled()}) it renders as nothing, with one '_', '-' or '.' before it
 * </pre>
 * A template whose names need the end ({@link #needsEnd()}) is rendered while the segment is written with
 * {@code open} in place of the end values (the temporary name), and again on close with the real ones; the
 * segment output is then committed under the final name ({@link io.capstan.storage.SegmentOutput#commit(SegmentKey)}).
 * A template ending in '/' is a directory layout: the file name {@code {stream}_{track}_{startTime}} is appended.
 *
 * <p>Safety: only the template's own '/' separates directories. Each value is encoded (hex / url-safe base64) or
 * sanitized (characters outside {@code [A-Za-z0-9._+=@,-]}, the excluded characters and '/' become '_'), so a
 * value holding {@code ../../etc}, an absolute path, '%2e%2e', '\', NUL or control characters stays inside one path
 * element; an element never starts with '.', so it is never {@code .} or {@code ..}. The result is a valid
 * {@link SegmentKey}, which a sink resolves under its root.
 *
 * <p>Length: a path element is at most 255 bytes (names are ASCII, so bytes = characters); the file name element is
 * at most {@value #MAX_FILE_NAME} so that a sink can still append {@code .part} and a collision suffix such as
 * {@code -12}. An element that is too long is shortened in its values (the longest first, ending the cut value with
 * '-' and 8 hex digits of its SHA-256 so different values stay different); literal text, times, the index and the
 * extension are kept. A key longer than 1024 characters is rendered again with shorter values.
 */
public final class NamingTemplate {

    /** Longest directory element. */
    public static final int MAX_ELEMENT = 255;
    /** Longest file name (extension included): 255 less room for {@code .part} and a {@code -NNNN} suffix. */
    public static final int MAX_FILE_NAME = 240;

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+)}");
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._+=@,-]");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final String OPEN = "open";
    private static final String DIRECTORY_FILE_NAME = "{stream}_{track}_{startTime}";

    private static final Set<String> VALUES = Set.of("stream", "streamName", "room", "track", "trackID", "ssrc",
            "participant", "login", "sessionId", "mediaSessionId", "codec", "videoCodec", "audioCodec");
    private static final Set<String> GENERATED = Set.of("startTime", "endTime", "startTimeMillis", "endTimeMillis",
            "duration", "index", "yyyy", "MM", "dd", "HH", "mm", "ss");
    private static final Set<String> END = Set.of("endTime", "endTimeMillis", "duration");

    /** One piece of a path element: literal text, or a placeholder. */
    private record Piece(String literal, String placeholder) {
    }

    private final String template;
    private final NamingOptions options;
    private final List<List<Piece>> elements = new ArrayList<>();
    private final boolean needsEnd;

    public NamingTemplate(String template) {
        this(template, NamingOptions.DEFAULT);
    }

    public NamingTemplate(String template, NamingOptions options) {
        if (template == null || template.isBlank() || template.startsWith("/") || template.contains("..")
                || template.contains("\\")) {
            throw new IllegalArgumentException("bad naming template: '" + template + "'");
        }
        this.template = template;
        this.options = Objects.requireNonNull(options, "options");
        String t = template.endsWith("/") ? template + DIRECTORY_FILE_NAME : template;
        boolean end = false;
        for (String part : t.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            List<Piece> pieces = new ArrayList<>();
            Matcher m = PLACEHOLDER.matcher(part);
            int at = 0;
            while (m.find()) {
                String name = m.group(1);
                if (!VALUES.contains(name) && !GENERATED.contains(name)) {
                    throw new IllegalArgumentException("unknown placeholder {" + name + "} in '" + template + "'");
                }
                end |= END.contains(name);
                if (m.start() > at) {
                    pieces.add(new Piece(part.substring(at, m.start()), null));
                }
                pieces.add(new Piece(null, name));
                at = m.end();
            }
            if (at < part.length()) {
                pieces.add(new Piece(part.substring(at), null));
            }
            elements.add(pieces);
        }
        if (elements.isEmpty()) {
            throw new IllegalArgumentException("bad naming template: '" + template + "'");
        }
        this.needsEnd = end;
    }

    public String template() {
        return template;
    }

    public NamingOptions options() {
        return options;
    }

    /** The same template with other options. */
    public NamingTemplate withOptions(NamingOptions o) {
        return o.equals(options) ? this : new NamingTemplate(template, o);
    }

    /** Whether names use {@code {endTime}}, {@code {endTimeMillis}} or {@code {duration}}, known only on close. */
    public boolean needsEnd() {
        return needsEnd;
    }

    /**
     * Builds the key; {@code extension} (e.g. {@code webm}) is appended after a dot. Without end values (the
     * segment is still open) the end placeholders render as {@code open}.
     */
    public SegmentKey render(NameValues v, String extension) {
        String ext = extension == null || extension.isEmpty() ? "" : "." + sanitize(extension, "");
        String path = null;
        for (int cap = MAX_ELEMENT; cap >= 8; cap /= 2) {
            path = renderPath(v, ext, cap);
            if (path.length() <= 1024) {
                break;
            }
        }
        return new SegmentKey(path);
    }

    /**
     * The earlier form: {@code values} by placeholder name ({@code stream}, {@code track}, {@code sessionId},
     * {@code ssrc}, {@code codec}, {@code index}...), {@code startTime} for the times.
     */
    public SegmentKey render(Map<String, String> values, Instant startTime, String extension) {
        int index;
        try {
            index = Integer.parseInt(values.getOrDefault("index", "0"));
        } catch (NumberFormatException e) {
            index = 0;
        }
        NameValues v = NameValues.builder(startTime)
                .stream(values.get("stream")).room(values.get("room")).track(values.get("track"))
                .ssrc(values.get("ssrc")).participant(values.get("participant")).sessionId(values.get("sessionId"))
                .mediaSessionId(values.get("mediaSessionId")).codec(values.get("codec"))
                .videoCodec(values.get("videoCodec")).audioCodec(values.get("audioCodec")).index(index)
                .build();
        return render(v, extension);
    }

    private String renderPath(NameValues v, String ext, int cap) {
        StringBuilder path = new StringBuilder();
        for (int e = 0; e < elements.size(); e++) {
            boolean last = e == elements.size() - 1;
            List<Piece> pieces = elements.get(e);
            List<String> texts = new ArrayList<>(pieces.size() + 1);
            List<Boolean> shrinkable = new ArrayList<>(pieces.size() + 1);
            for (Piece p : pieces) {
                if (p.literal != null) {
                    texts.add(sanitize(p.literal, ""));
                    shrinkable.add(false);
                } else if (p.placeholder.equals("index") && (!options.indexEnabled() || v.index() <= 0)) {
                    // numbering off: no index, and no separator left dangling before it
                    int prev = texts.size() - 1;
                    if (prev >= 0 && !shrinkable.get(prev) && !texts.get(prev).isEmpty()
                            && "_-.".indexOf(texts.get(prev).charAt(texts.get(prev).length() - 1)) >= 0) {
                        String s = texts.get(prev);
                        texts.set(prev, s.substring(0, s.length() - 1));
                    }
                } else if (VALUES.contains(p.placeholder)) {
                    texts.add(shorten(encode(value(v, p.placeholder)), cap));
                    shrinkable.add(true);
                } else {
                    texts.add(generated(v, p.placeholder));
                    shrinkable.add(false);
                }
            }
            if (last) {
                texts.add(ext);
                shrinkable.add(false);
            }
            fit(texts, shrinkable, last ? MAX_FILE_NAME : MAX_ELEMENT);
            String element = String.join("", texts);
            if (element.isEmpty() || element.equals(ext)) {
                element = "_" + element;
            }
            if (element.charAt(0) == '.') {
                element = "_" + element.substring(1); // never ".", "..", or a hidden file
            }
            if (path.length() > 0) {
                path.append('/');
            }
            path.append(element);
        }
        return path.toString();
    }

    /** Shortens values (longest first) until the element fits; then, if still needed, cuts the element's middle. */
    private static void fit(List<String> texts, List<Boolean> shrinkable, int limit) {
        int len = 0;
        for (String t : texts) {
            len += t.length();
        }
        while (len > limit) {
            int longest = -1;
            for (int i = 0; i < texts.size(); i++) {
                if (shrinkable.get(i) && texts.get(i).length() > 1
                        && (longest < 0 || texts.get(i).length() > texts.get(longest).length())) {
                    longest = i;
                }
            }
            if (longest < 0) {
                break;
            }
            String s = texts.get(longest);
            int target = Math.max(1, s.length() - (len - limit));
            // cut towards the length of the next longest value first, so values shrink evenly
            int next = 0;
            for (int i = 0; i < texts.size(); i++) {
                if (i != longest && shrinkable.get(i)) {
                    next = Math.max(next, texts.get(i).length());
                }
            }
            target = Math.max(target, Math.min(s.length() - 1, next));
            texts.set(longest, shorten(s, target));
            len -= s.length() - texts.get(longest).length();
        }
        if (len > limit) {
            // only literal text and generated values left: keep the head and the tail (index, extension)
            String all = String.join("", texts);
            int tail = Math.min(all.length(), 48);
            String cut = all.substring(0, limit - tail) + all.substring(all.length() - tail);
            texts.clear();
            shrinkable.clear();
            texts.add(cut);
            shrinkable.add(false);
        }
    }

    /** Cuts {@code s} to {@code n} characters, ending with '-' and 8 hex digits of its hash when there is room. */
    private static String shorten(String s, int n) {
        if (s.length() <= n) {
            return s;
        }
        if (n < 12) {
            return s.substring(0, Math.max(1, n));
        }
        return s.substring(0, n - 9) + "-" + hash8(s);
    }

    private static String hash8(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String encode(String raw) {
        String s = raw == null ? "" : raw;
        if (s.isEmpty()) {
            return "_";
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return switch (options.encoding()) {
            case HEX -> HexFormat.of().formatHex(utf8);
            case BASE64 -> Base64.getUrlEncoder().withoutPadding().encodeToString(utf8);
            case AS_IS -> sanitize(s, options.excludedChars());
        };
    }

    /** Safe characters kept; others, the excluded ones and '/' become '_' (one per code point). */
    private static String sanitize(String s, String excluded) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            boolean safe = cp < 128 && SAFE.matcher(String.valueOf((char) cp)).matches()
                    && excluded.indexOf(cp) < 0;
            b.append(safe ? (char) cp : '_');
        });
        return b.toString();
    }

    private static String value(NameValues v, String name) {
        return switch (name) {
            case "stream", "streamName" -> v.stream();
            case "room" -> v.room();
            case "track", "trackID" -> v.track();
            case "ssrc" -> v.ssrc();
            case "participant", "login" -> v.participant();
            case "sessionId" -> v.sessionId();
            case "mediaSessionId" -> v.mediaSessionId();
            case "codec" -> v.codec();
            case "videoCodec" -> v.videoCodec();
            case "audioCodec" -> v.audioCodec();
            default -> throw new IllegalStateException(name);
        };
    }

    private static String generated(NameValues v, String name) {
        ZonedDateTime start = v.startTime().atZone(ZoneOffset.UTC);
        return switch (name) {
            case "startTime" -> STAMP.format(v.startTime());
            case "startTimeMillis" -> Long.toString(v.startTimeMillis());
            case "endTime" -> v.endTime() == null ? OPEN : STAMP.format(v.endTime());
            case "endTimeMillis" -> v.endTimeMillis() < 0 ? OPEN : Long.toString(v.endTimeMillis());
            case "duration" -> v.durationMicros() < 0 ? OPEN : Long.toString(v.durationMicros() / 1000);
            case "index" -> Integer.toString(v.index());
            case "yyyy" -> String.format("%04d", start.getYear());
            case "MM" -> String.format("%02d", start.getMonthValue());
            case "dd" -> String.format("%02d", start.getDayOfMonth());
            case "HH" -> String.format("%02d", start.getHour());
            case "mm" -> String.format("%02d", start.getMinute());
            case "ss" -> String.format("%02d", start.getSecond());
            default -> throw new IllegalStateException(name);
        };
    }
}
