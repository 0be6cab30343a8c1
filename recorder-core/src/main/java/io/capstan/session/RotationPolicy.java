package io.capstan.session;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a recording moves on to a new file. A video file is always cut at a keyframe of its video (the session asks
 * the sender for one shortly before the boundary, {@link #KEYFRAME_LEAD_MICROS}); a file without video at the first
 * frame past the boundary. Consecutive files of a session neither overlap nor leave a gap: every frame goes to
 * exactly one of them, and each file's start on the session timeline is where the previous one ended.
 *
 * <p>The strings users already write for media servers parse to these ({@link #parse}):
 * <pre>
 * 20, 20s, 90s, 5m, 1h     every 20 s / 90 s / 5 minutes / 1 hour of media        ByDuration
 * 10M, 500K, 2G, 10MB      when the file reaches 10 MiB (K/M/G = 1024-based)      BySize
 * 1h@wallclock, 15m@wallclock   on wall-clock boundaries: every hour on the hour   WallClock
 * disabled, off, none, 0   one file per recording                                 Disabled
 * </pre>
 */
public sealed interface RotationPolicy {

    /** How long before a duration or wall-clock boundary the session asks for a keyframe. */
    long KEYFRAME_LEAD_MICROS = 1_000_000;

    /** No rotation: one file per recording (and per format change the container cannot carry). */
    record Disabled() implements RotationPolicy {
    }

    /** A new file after {@code period} of media. */
    record ByDuration(Duration period) implements RotationPolicy {
        public ByDuration {
            if (period.toMillis() < 100) {
                throw new IllegalArgumentException("rotation period must be at least 100 ms: " + period);
            }
        }
    }

    /** A new file once the current one holds {@code bytes}. */
    record BySize(long bytes) implements RotationPolicy {
        public BySize {
            if (bytes < 4096) {
                throw new IllegalArgumentException("rotation size must be at least 4096 bytes: " + bytes);
            }
        }
    }

    /**
     * A new file at every multiple of {@code period} of the wall clock (UTC, from the epoch): with one hour, files
     * start on the hour. The wall clock of media is the session's clock at its start plus the media time.
     */
    record WallClock(Duration period) implements RotationPolicy {
        public WallClock {
            if (period.toSeconds() < 1) {
                throw new IllegalArgumentException("wall-clock rotation period must be at least 1 s: " + period);
            }
        }

        /** The first boundary strictly after {@code t}. */
        public Instant nextBoundary(Instant t) {
            long p = period.toMillis();
            long ms = t.toEpochMilli();
            return Instant.ofEpochMilli(Math.floorDiv(ms, p) * p + p);
        }
    }

    RotationPolicy DISABLED = new Disabled();

    Pattern SYNTAX = Pattern.compile("(\\d+)(ms|s|m|h|d|K|KB|KiB|M|MB|MiB|G|GB|GiB)?(@wallclock)?");

    /**
     * Parses {@code 20} (seconds), {@code 20s}/{@code 5m}/{@code 1h}/{@code 1d} (media duration), {@code 10M},
     * {@code 500K}, {@code 2G} (size, 1024-based; {@code MB}/{@code MiB} accepted), {@code 1h@wallclock} (wall-clock
     * boundaries) and {@code disabled}/{@code off}/{@code none}/{@code 0}.
     *
     * @throws IllegalArgumentException with a sentence naming the accepted forms
     */
    static RotationPolicy parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("disabled") || lower.equals("off") || lower.equals("none") || lower.equals("false")
                || lower.equals("0")) {
            return DISABLED;
        }
        Matcher m = SYNTAX.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("bad rotation '" + text + "': use seconds (20), a duration (20s, 5m, 1h),"
                    + " a size (10M, 500K, 2G), a wall-clock period (1h@wallclock) or disabled");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad rotation '" + text + "': number too large");
        }
        String unit = m.group(2) == null ? "s" : m.group(2);
        boolean wall = m.group(3) != null;
        long factor = switch (unit) {
            case "K", "KB", "KiB" -> 1L << 10;
            case "M", "MB", "MiB" -> 1L << 20;
            case "G", "GB", "GiB" -> 1L << 30;
            default -> 0;
        };
        if (factor > 0) {
            if (wall) {
                throw new IllegalArgumentException("bad rotation '" + text + "': @wallclock takes a duration, not a size");
            }
            if (n > Long.MAX_VALUE / factor) {
                throw new IllegalArgumentException("bad rotation '" + text + "': size too large");
            }
            return new BySize(n * factor);
        }
        Duration d;
        try {
            d = switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> throw new IllegalStateException(unit);
            };
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("bad rotation '" + text + "': duration too large");
        }
        return wall ? new WallClock(d) : new ByDuration(d);
    }
}
