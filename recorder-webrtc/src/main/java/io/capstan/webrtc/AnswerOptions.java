package io.capstan.webrtc;

import io.capstan.media.Codec;
import io.capstan.mux.MuxerSelector;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * What Capstan's side of the answer is made of.
 *
 * @param fingerprint the SHA-256 fingerprint of the DTLS certificate the transport presents
 * @param candidates  host candidates ({@code address:port} the transport listens on), at least one
 * @param canRecord   whether the recorder can write these codecs together (e.g. {@link #canRecord(MuxerSelector)})
 * @param preference  codecs in order of preference; offered codecs not listed are never chosen
 */
public record AnswerOptions(DtlsFingerprint fingerprint, List<InetSocketAddress> candidates,
                            Predicate<List<Codec>> canRecord, List<Codec> preference) {

    /** Video VP8, VP9, H.264 (packetization-mode 1), AV1; audio Opus. */
    public static final List<Codec> DEFAULT_PREFERENCE = List.of(Codec.VP8, Codec.VP9, Codec.H264, Codec.AV1,
            Codec.OPUS);

    public AnswerOptions {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(canRecord, "canRecord");
        candidates = List.copyOf(candidates);
        preference = List.copyOf(preference);
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("an ICE-lite answer needs at least one host candidate");
        }
        for (InetSocketAddress c : candidates) {
            if (c.isUnresolved() || c.getPort() == 0) {
                throw new IllegalArgumentException("a host candidate needs a resolved address and a port: " + c);
            }
        }
    }

    public static AnswerOptions of(DtlsFingerprint fingerprint, List<InetSocketAddress> candidates,
                                   Predicate<List<Codec>> canRecord) {
        return new AnswerOptions(fingerprint, candidates, canRecord, DEFAULT_PREFERENCE);
    }

    /** A predicate from a muxer selector: the codecs can be recorded when it picks a container for them. */
    public static Predicate<List<Codec>> canRecord(MuxerSelector selector) {
        return codecs -> {
            try {
                return selector.select(codecs) != null;
            } catch (IllegalArgumentException e) {
                return false;
            }
        };
    }
}
