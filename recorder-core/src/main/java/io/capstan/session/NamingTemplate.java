package io.capstan.session;

import io.capstan.storage.SegmentKey;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a template like {@code {stream}/{stream}_{track}_{startTime}} into a segment key. Placeholders:
 * {@code {stream}}, {@code {track}}, {@code {sessionId}}, {@code {ssrc}}, {@code {codec}}, {@code {index}},
 * {@code {startTime}} (UTC, {@code yyyyMMdd'T'HHmmss'Z'}), {@code {startTimeMillis}}. Every substituted value is
 * sanitized, so a name from the network can never leave the recording root; '/' in the template separates
 * directories. A pure function of its inputs.
 */
public final class NamingTemplate {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+)}");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final String template;

    public NamingTemplate(String template) {
        if (template == null || template.isBlank() || template.startsWith("/") || template.contains("..")) {
            throw new IllegalArgumentException("bad naming template: '" + template + "'");
        }
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            if (!KNOWN.contains(m.group(1))) {
                throw new IllegalArgumentException("unknown placeholder {" + m.group(1) + "} in '" + template + "'");
            }
        }
        this.template = template;
    }

    private static final java.util.Set<String> KNOWN = java.util.Set.of("stream", "track", "sessionId", "ssrc",
            "codec", "index", "startTime", "startTimeMillis");

    public String template() {
        return template;
    }

    /** Builds the key; {@code extension} is appended after a dot. */
    public SegmentKey render(Map<String, String> values, Instant startTime, String extension) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String v = switch (name) {
                case "startTime" -> STAMP.format(startTime);
                case "startTimeMillis" -> Long.toString(startTime.toEpochMilli());
                default -> values.getOrDefault(name, "");
            };
            m.appendReplacement(sb, Matcher.quoteReplacement(SegmentKey.sanitizeComponent(v)));
        }
        m.appendTail(sb);
        StringBuilder path = new StringBuilder();
        for (String part : sb.toString().split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            if (path.length() > 0) {
                path.append('/');
            }
            path.append(SegmentKey.sanitizeComponent(part));
        }
        return new SegmentKey(path + "." + extension);
    }
}
