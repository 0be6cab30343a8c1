package io.capstan.codec;

import io.capstan.media.Codec;

import java.util.Map;

/** Placeholder until the codec implementations land (replaced by the real factory). */
public final class Depacketizers {
    private Depacketizers() {
    }

    public static Depacketizer create(Codec codec, int clockRate, int channels, Map<String, String> fmtp) {
        throw new IllegalArgumentException("no depacketizer for " + codec);
    }
}
