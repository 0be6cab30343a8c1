package io.capstan.session;

import java.util.Objects;

/**
 * How a {@link NamingTemplate} turns values into path elements.
 *
 * @param encoding      how values that come from outside (stream, room, track, participant, ids, codecs) are
 *                      written: {@link Encoding#AS_IS} keeps the safe characters and replaces the others with
 *                      '_', {@link Encoding#HEX} and {@link Encoding#BASE64} encode the value's UTF-8 bytes (so two
 *                      different values never give the same name)
 * @param excludedChars characters replaced with '_' inside values with {@code AS_IS} (default {@code "/"}; a '/' is
 *                      always replaced: only the template's own '/' separates directories)
 * @param indexEnabled  whether {@code {index}} renders the segment number (from 1 per session and file group);
 *                      when false, {@code {index}} and one '_', '-' or '.' just before it render as nothing
 */
public record NamingOptions(Encoding encoding, String excludedChars, boolean indexEnabled) {

    /** Value encodings. */
    public enum Encoding {
        /** Safe characters {@code [A-Za-z0-9._+=@,-]} kept, every other character replaced with '_'. */
        AS_IS,
        /** Lower-case hex of the UTF-8 bytes. */
        HEX,
        /** URL-safe base64 (RFC 4648 section 5) of the UTF-8 bytes, without padding. */
        BASE64;

        /** Parses {@code as-is}, {@code hex} or {@code base64} (case-insensitive). */
        public static Encoding parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "as-is", "asis", "as_is", "none" -> AS_IS;
                case "hex" -> HEX;
                case "base64", "base64url" -> BASE64;
                default -> throw new IllegalArgumentException("unknown name encoding '" + s + "' (as-is, hex, base64)");
            };
        }
    }

    /** As is, '/' excluded, numbering on. */
    public static final NamingOptions DEFAULT = new NamingOptions(Encoding.AS_IS, "/", true);

    public NamingOptions {
        Objects.requireNonNull(encoding, "encoding");
        excludedChars = excludedChars == null ? "/" : excludedChars;
    }

    public NamingOptions withEncoding(Encoding e) {
        return new NamingOptions(e, excludedChars, indexEnabled);
    }

    public NamingOptions withExcludedChars(String chars) {
        return new NamingOptions(encoding, chars, indexEnabled);
    }

    public NamingOptions withIndex(boolean enabled) {
        return new NamingOptions(encoding, excludedChars, enabled);
    }
}
