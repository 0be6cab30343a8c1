package io.capstan.sdp;

import java.util.List;
import java.util.Optional;

/**
 * A parsed session description (RFC 8866), reduced to what a recorder needs. Made by {@link SdpParser}.
 *
 * @param origin      the {@code o=} value as written, empty when missing
 * @param sessionName the {@code s=} value, empty when missing
 * @param connection  the session-level {@code c=}
 * @param direction   the session-level direction attribute, {@code SENDRECV} when absent
 * @param attributes  session-level {@code a=} lines
 * @param media       the {@code m=} sections in order (at least one)
 */
public record SessionDescription(
        String origin,
        String sessionName,
        Optional<Connection> connection,
        Direction direction,
        List<Attribute> attributes,
        List<MediaDescription> media) {

    public SessionDescription {
        attributes = List.copyOf(attributes);
        media = List.copyOf(media);
    }

    /** The first m= section whose port is {@code port}. */
    public Optional<MediaDescription> mediaOnPort(int port) {
        return media.stream().filter(m -> m.port() == port).findFirst();
    }

    /** Convenience for {@link SdpParser#parse(String)}. */
    public static SessionDescription parse(String text) throws SdpException {
        return SdpParser.parse(text);
    }
}
