package io.capstan.mux;

import java.util.Locale;
import java.util.Optional;

/** Container formats by their CLI / configuration name. {@link #AUTO} picks one from the tracks' codecs. */
public enum Container {
    AUTO("auto"),
    WEBM("webm"),
    MKV("mkv"),
    IVF("ivf"),
    OGG("ogg");

    private final String id;

    Container(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Optional<Container> fromId(String s) {
        if (s == null) {
            return Optional.empty();
        }
        String n = s.trim().toLowerCase(Locale.ROOT);
        for (Container c : values()) {
            if (c.id.equals(n) || (c == MKV && (n.equals("matroska") || n.equals("mka")))) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
