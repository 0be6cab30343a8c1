package io.capstan.webrtc.ice;

import org.ice4j.Transport;
import org.ice4j.TransportAddress;
import org.ice4j.ice.harvest.SinglePortUdpHarvester;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The UDP ports every WHIP resource's ICE agent shares: one socket per configured address (ice4j's
 * {@link SinglePortUdpHarvester}), which hands each remote address to the agent whose username fragment its first
 * STUN check names. One port for any number of publishers keeps firewalls simple; the host candidates of every
 * answer are these addresses.
 */
public final class IcePorts implements AutoCloseable {

    private final List<SinglePortUdpHarvester> harvesters;
    private final List<InetSocketAddress> candidates;

    private IcePorts(List<SinglePortUdpHarvester> harvesters) {
        this.harvesters = List.copyOf(harvesters);
        List<InetSocketAddress> c = new ArrayList<>();
        for (SinglePortUdpHarvester h : harvesters) {
            TransportAddress a = h.getLocalAddress();
            c.add(new InetSocketAddress(a.getAddress(), a.getPort()));
        }
        this.candidates = List.copyOf(c);
    }

    /**
     * Binds one UDP socket per address. Port 0 picks a free port for the first address and then uses the same
     * port for the others where it is free.
     *
     * @throws IOException when an address cannot be bound (in use, not local)
     */
    public static IcePorts bind(List<InetSocketAddress> addresses) throws IOException {
        Objects.requireNonNull(addresses, "addresses");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("ICE needs at least one local address for host candidates");
        }
        List<SinglePortUdpHarvester> bound = new ArrayList<>();
        int chosenPort = 0;
        try {
            for (InetSocketAddress a : addresses) {
                if (a.isUnresolved() || a.getAddress().isAnyLocalAddress()) {
                    throw new IllegalArgumentException("a host candidate needs a concrete local address, not "
                            + a + " (use IcePorts.localAddresses() to list this machine's)");
                }
                int port = a.getPort() != 0 ? a.getPort() : chosenPort;
                SinglePortUdpHarvester h = new SinglePortUdpHarvester(
                        new TransportAddress(a.getAddress(), port, Transport.UDP));
                bound.add(h);
                if (chosenPort == 0) {
                    chosenPort = h.getLocalAddress().getPort();
                }
            }
        } catch (IOException | RuntimeException e) {
            bound.forEach(SinglePortUdpHarvester::close);
            throw e;
        }
        return new IcePorts(bound);
    }

    /**
     * This machine's addresses for host candidates: the IPv4 addresses of the interfaces that are up, loopback
     * and link-local ones left out; the loopback address when there is no other.
     */
    public static List<InetAddress> localAddresses() throws SocketException {
        List<InetAddress> r = new ArrayList<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a.getAddress().length == 4 && !a.isLinkLocalAddress() && !a.isLoopbackAddress()) {
                    r.add(a);
                }
            }
        }
        if (r.isEmpty()) {
            r.add(InetAddress.getLoopbackAddress());
        }
        return r;
    }

    /** The bound addresses, as host candidates for answers. */
    public List<InetSocketAddress> candidates() {
        return candidates;
    }

    List<SinglePortUdpHarvester> harvesters() {
        return harvesters;
    }

    @Override
    public void close() {
        harvesters.forEach(SinglePortUdpHarvester::close);
    }
}
