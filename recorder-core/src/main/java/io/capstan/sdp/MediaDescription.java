package io.capstan.sdp;

import io.capstan.media.MediaKind;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * One {@code m=} section (RFC 8866 section 5.14) with what recording needs.
 *
 * @param media        {@code audio}, {@code video}, {@code application}, ... as written (lower-cased)
 * @param port         the transport port (RTP)
 * @param portCount    the {@code /n} count after the port, 1 when absent
 * @param protocol     e.g. {@code RTP/AVP}, {@code UDP/TLS/RTP/SAVPF}
 * @param formatTokens the format list as written (payload type numbers for RTP)
 * @param formats      one entry per numeric payload type, in m= line order
 * @param connection   the media-level {@code c=}, else the session-level one
 * @param rtcpPort     {@code a=rtcp} port (RFC 3605), when given
 * @param rtcpMux      {@code a=rtcp-mux} (RFC 5761)
 * @param mid          {@code a=mid} (RFC 5888)
 * @param direction    media-level direction, else session-level, else {@code SENDRECV}
 * @param frameRate    {@code a=framerate}
 * @param ptime        {@code a=ptime} in milliseconds
 * @param ssrcs        {@code a=ssrc} lines grouped by SSRC, in order of first appearance
 * @param attributes   every {@code a=} line of the section, in order
 */
public record MediaDescription(
        String media,
        int port,
        int portCount,
        String protocol,
        List<String> formatTokens,
        List<RtpFormat> formats,
        Optional<Connection> connection,
        OptionalInt rtcpPort,
        boolean rtcpMux,
        Optional<String> mid,
        Direction direction,
        OptionalDouble frameRate,
        OptionalInt ptime,
        List<Ssrc> ssrcs,
        List<Attribute> attributes) {

    public MediaDescription {
        formatTokens = List.copyOf(formatTokens);
        formats = List.copyOf(formats);
        ssrcs = List.copyOf(ssrcs);
        attributes = List.copyOf(attributes);
    }

    /** {@code VIDEO} / {@code AUDIO}, empty for other media types. */
    public Optional<MediaKind> kind() {
        return switch (media) {
            case "audio" -> Optional.of(MediaKind.AUDIO);
            case "video" -> Optional.of(MediaKind.VIDEO);
            default -> Optional.empty();
        };
    }

    /** Payload type numbers in m= line order. */
    public List<Integer> payloadTypes() {
        return formats.stream().map(RtpFormat::payloadType).toList();
    }

    /** The format of one payload type. */
    public Optional<RtpFormat> format(int payloadType) {
        return formats.stream().filter(f -> f.payloadType() == payloadType).findFirst();
    }

    /**
     * Where RTCP for this section arrives: {@code a=rtcp} when given, the RTP port with {@code a=rtcp-mux}, else
     * the RTP port + 1 (RFC 3550 section 11).
     */
    public int effectiveRtcpPort() {
        if (rtcpPort.isPresent()) {
            return rtcpPort.getAsInt();
        }
        return rtcpMux ? port : port + 1;
    }

    /** The SSRC ids from {@code a=ssrc} lines. */
    public List<Long> ssrcIds() {
        return ssrcs.stream().map(Ssrc::id).toList();
    }

    /** The first attribute of that name (case-insensitive). */
    public Optional<Attribute> attribute(String name) {
        return attributes.stream().filter(a -> a.name().equalsIgnoreCase(name)).findFirst();
    }
}
