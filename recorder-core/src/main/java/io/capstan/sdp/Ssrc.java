package io.capstan.sdp;

import java.util.Map;

/**
 * The source-level attributes of one SSRC ({@code a=ssrc:<id> <attribute>[:<value>]}, RFC 5576 section 4.1).
 *
 * @param id         the SSRC, unsigned 32-bit
 * @param attributes e.g. {@code cname -> user@host}; property attributes map to {@code ""}
 */
public record Ssrc(long id, Map<String, String> attributes) {
    public Ssrc {
        attributes = Map.copyOf(attributes);
    }
}
