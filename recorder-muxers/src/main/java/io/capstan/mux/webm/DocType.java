package io.capstan.mux.webm;

import io.capstan.media.Codec;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The two EBML document types the writer produces (EBML header DocType, RFC 8794 section 11.2.6). */
public enum DocType {
    /** WebM: VP8, VP9, AV1 video and Opus audio only (WebM container guidelines). */
    WEBM("webm", EnumSet.of(Codec.VP8, Codec.VP9, Codec.AV1, Codec.OPUS)),
    /** Matroska: every codec with a mapping in {@link MatroskaCodecs}. */
    MATROSKA("matroska", EnumSet.allOf(Codec.class));

    private final String name;
    private final Set<Codec> allowed;

    DocType(String name, Set<Codec> allowed) {
        this.name = name;
        this.allowed = allowed;
    }

    /** The DocType string in the EBML header. */
    public String docTypeName() {
        return name;
    }

    public boolean allows(Codec c) {
        return allowed.contains(c);
    }

    /** True when every codec may go into a WebM file. */
    public static boolean webmLegal(List<Codec> codecs) {
        return codecs.stream().allMatch(WEBM::allows);
    }
}
