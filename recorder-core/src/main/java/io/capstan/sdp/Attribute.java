package io.capstan.sdp;

import java.util.Optional;

/**
 * One {@code a=} line: {@code a=name} (a property) or {@code a=name:value}.
 *
 * @param value {@code null} for a property attribute
 */
public record Attribute(String name, String value) {
    public Optional<String> valueOptional() {
        return Optional.ofNullable(value);
    }

    @Override
    public String toString() {
        return value == null ? "a=" + name : "a=" + name + ":" + value;
    }
}
