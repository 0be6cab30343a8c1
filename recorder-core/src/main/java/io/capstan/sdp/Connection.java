package io.capstan.sdp;

/**
 * A {@code c=} line (RFC 8866 section 5.7): {@code c=IN IP4 192.0.2.1[/ttl][/count]}.
 *
 * @param networkType  {@code IN}
 * @param addressType  {@code IP4} or {@code IP6}
 * @param address      the address without the {@code /ttl/count} suffix
 * @param ttl          the multicast TTL (IP4 multicast only), 0 when absent
 * @param addressCount number of consecutive multicast addresses, 1 when absent
 */
public record Connection(String networkType, String addressType, String address, int ttl, int addressCount) {
}
