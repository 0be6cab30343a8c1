package io.capstan.mux.common;

/**
 * What a recovery did to a file left behind by an interrupted recording.
 *
 * @param container     the container found ({@code webm}, {@code mp4}, ...)
 * @param originalBytes the file size before
 * @param keptBytes     the file size after (what plays)
 * @param action        one sentence for the user, e.g. "cut 1234 bytes of a half-written cluster; wrote Duration"
 */
public record Repair(String container, long originalBytes, long keptBytes, String action) {
}
