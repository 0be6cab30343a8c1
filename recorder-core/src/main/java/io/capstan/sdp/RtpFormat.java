package io.capstan.sdp;

import io.capstan.media.Codec;
import java.util.Map;
import java.util.Optional;

/**
 * One payload format of an m= section: the payload type with its {@code a=rtpmap} (RFC 8866 section 6.6) and
 * {@code a=fmtp} (section 6.15), or the RFC 3551 static assignment when there is no rtpmap.
 *
 * @param payloadType  0-127
 * @param encodingName as written in the rtpmap (case kept), or the RFC 3551 name for a static type; empty when
 *                     the payload type is dynamic and has no rtpmap
 * @param clockRate    RTP clock rate in Hz; 0 when unknown
 * @param channels     the rtpmap encoding parameters as a number (audio channels); 1 when absent for audio, 0 when
 *                     absent for other media
 * @param parameters   fmtp parameters: lower-case key to value (case kept), in their order; a parameter without
 *                     {@code =} maps to {@code ""}
 * @param fmtp         the raw fmtp value after the payload type, {@code ""} when there is none
 */
public record RtpFormat(int payloadType, String encodingName, int clockRate, int channels,
                        Map<String, String> parameters, String fmtp) {

    public RtpFormat {
        parameters = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(parameters));
    }

    /** The codec, by encoding name, else by RFC 3551 static payload type. */
    public Optional<Codec> codec() {
        Optional<Codec> byName = Codec.fromRtpName(encodingName);
        if (byName.isPresent()) {
            return byName;
        }
        return encodingName.isEmpty() ? Codec.fromStaticPayloadType(payloadType) : Optional.empty();
    }

    /** One fmtp parameter by case-insensitive name. */
    public Optional<String> parameter(String name) {
        return Optional.ofNullable(parameters.get(name.toLowerCase(java.util.Locale.ROOT)));
    }
}
