package io.capstan.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.capstan.sdp.SdpParser;
import io.capstan.sdp.SessionDescription;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class UdpReceiverTest {

    record Got(int port, byte[] data, long arrival, byte[] buffer) {
    }

    private static void send(DatagramSocket s, int port, byte[] data) throws Exception {
        s.send(new DatagramPacket(data, data.length, new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
    }

    @Test
    void receivesOnSeveralEphemeralPorts_withOneReusedBuffer() throws Exception {
        List<Got> got = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch latch = new CountDownLatch(20);
        long[] tick = {1000};
        try (UdpReceiver rx = UdpReceiver.builder((port, buf, off, len, t) -> {
            byte[] copy = new byte[len];
            System.arraycopy(buf, off, copy, 0, len);
            got.add(new Got(port, copy, t, buf));
            latch.countDown();
        }).bindAddress("127.0.0.1").ports(0, 0).clock(() -> tick[0]++).threadName("rx-test").start();
             DatagramSocket sender = new DatagramSocket()) {
            List<Integer> ports = rx.localPorts();
            assertThat(ports).hasSize(2).doesNotContain(0).doesNotHaveDuplicates();
            assertThat(rx.bindAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(rx.isRunning()).isTrue();
            for (int i = 0; i < 10; i++) {
                send(sender, ports.get(0), new byte[] {(byte) 0x80, 96, 0, (byte) i});
                send(sender, ports.get(1), new byte[] {(byte) 0x80, (byte) 200, 0, (byte) i, 1, 2, 3});
            }
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(rx.datagramsReceived()).isEqualTo(20);
            List<Got> first = got.stream().filter(g -> g.port() == ports.get(0)).toList();
            List<Got> second = got.stream().filter(g -> g.port() == ports.get(1)).toList();
            assertThat(first).hasSize(10).allSatisfy(g -> assertThat(g.data()).hasSize(4));
            assertThat(second).hasSize(10).allSatisfy(g -> assertThat(g.data()).hasSize(7));
            // loopback keeps per-socket order
            assertThat(first).extracting(g -> (int) g.data()[3]).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
            // every callback saw the same buffer: nothing allocated per datagram
            assertThat(got).extracting(Got::buffer).allSatisfy(b -> assertThat(b).isSameAs(got.get(0).buffer()));
            assertThat(got).extracting(Got::arrival).doesNotHaveDuplicates().allSatisfy(t -> assertThat(t).isGreaterThanOrEqualTo(1000L));
        }
    }

    @Test
    void handlerExceptionsAreCountedAndReceivingGoesOn() throws Exception {
        CountDownLatch latch = new CountDownLatch(3);
        AtomicReference<Throwable> error = new AtomicReference<>();
        try (UdpReceiver rx = UdpReceiver.builder((port, buf, off, len, t) -> {
            latch.countDown();
            if (buf[off] == 1) {
                throw new IllegalStateException("boom");
            }
        }).bindAddress("127.0.0.1").port(0).onError(error::set).start();
             DatagramSocket sender = new DatagramSocket()) {
            int port = rx.localPorts().get(0);
            send(sender, port, new byte[] {0});
            send(sender, port, new byte[] {1});
            send(sender, port, new byte[] {2});
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(rx.handlerFailures()).isEqualTo(1);
            assertThat(error.get()).hasMessage("boom");
            assertThat(rx.isRunning()).isTrue();
        }
    }

    @Test
    void portInUse_isAClearError_andNothingStaysBound() throws Exception {
        try (DatagramSocket taken = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            // the first port is free: it must be released again when the second one fails
            int free;
            try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
                free = probe.getLocalPort();
            }
            assertThatThrownBy(() -> UdpReceiver.builder((p, b, o, l, t) -> { })
                    .bindAddress("127.0.0.1").ports(free, port).start())
                    .isInstanceOf(BindException.class)
                    .hasMessage("port " + port + " is already in use (udp 127.0.0.1)");
            try (DatagramSocket again = new DatagramSocket(free, InetAddress.getByName("127.0.0.1"))) {
                assertThat(again.getLocalPort()).isEqualTo(free);
            }
        }
    }

    @Test
    void closeStopsPromptly_andIsIdempotent() throws Exception {
        UdpReceiver rx = UdpReceiver.builder((p, b, o, l, t) -> { }).bindAddress("127.0.0.1").port(0).start();
        int port = rx.localPorts().get(0);
        long start = System.nanoTime();
        rx.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000);
        assertThat(rx.isRunning()).isFalse();
        rx.close();
        // the port is free again
        try (DatagramSocket s = new DatagramSocket(port, InetAddress.getByName("127.0.0.1"))) {
            assertThat(s.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void closeFromTheHandlerThread() throws Exception {
        CountDownLatch latch = new CountDownLatch(1);
        AtomicReference<UdpReceiver> self = new AtomicReference<>();
        UdpReceiver rx = UdpReceiver.builder((p, b, o, l, t) -> {
            self.get().close();
            latch.countDown();
        }).bindAddress("127.0.0.1").port(0).start();
        self.set(rx);
        try (DatagramSocket sender = new DatagramSocket()) {
            send(sender, rx.localPorts().get(0), new byte[] {1});
        }
        assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 100 && rx.isRunning(); i++) {
            Thread.sleep(10);
        }
        assertThat(rx.isRunning()).isFalse();
    }

    @Test
    void defaultBindAddressFromSdp() throws Exception {
        SessionDescription local = SdpParser.parse("c=IN IP4 127.0.0.1\nm=audio 5004 RTP/AVP 0\n");
        assertThat(UdpReceiver.defaultBindAddress(local).getHostAddress()).isEqualTo("127.0.0.1");
        SessionDescription remote = SdpParser.parse("c=IN IP4 192.0.2.77\nm=audio 5004 RTP/AVP 0\n");
        assertThat(UdpReceiver.defaultBindAddress(remote).getHostAddress()).isEqualTo("0.0.0.0");
        SessionDescription none = SdpParser.parse("m=audio 5004 RTP/AVP 0\n");
        assertThat(UdpReceiver.defaultBindAddress(none).getHostAddress()).isEqualTo("0.0.0.0");
        SessionDescription hostname = SdpParser.parse("c=IN IP4 example.invalid\nm=audio 5004 RTP/AVP 0\n");
        assertThat(UdpReceiver.defaultBindAddress(hostname).getHostAddress()).isEqualTo("0.0.0.0");
    }

    @Test
    void forSession_listensOnRtpAndRtcpPorts() throws Exception {
        int a;
        int b;
        // find two free even/odd-agnostic ports
        try (DatagramSocket s1 = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"));
             DatagramSocket s2 = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"))) {
            a = s1.getLocalPort();
            b = s2.getLocalPort();
        }
        String sdp = "c=IN IP4 127.0.0.1\nm=audio " + a + " RTP/AVP 0\na=rtcp-mux\nm=video " + b
                + " RTP/AVP 96\na=rtcp:" + a + "\na=rtpmap:96 VP8/90000\n";
        CountDownLatch latch = new CountDownLatch(2);
        try (UdpReceiver rx = UdpReceiver.builder((p, buf, o, l, t) -> latch.countDown())
                .forSession(SdpParser.parse(sdp)).start();
             DatagramSocket sender = new DatagramSocket()) {
            assertThat(rx.localPorts()).containsExactly(a, b);
            assertThat(rx.bindAddress().getHostAddress()).isEqualTo("127.0.0.1");
            send(sender, a, new byte[] {1});
            send(sender, b, new byte[] {2});
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void builderValidation() {
        assertThatThrownBy(() -> UdpReceiver.builder((p, b, o, l, t) -> { }).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no port");
        assertThatThrownBy(() -> UdpReceiver.builder((p, b, o, l, t) -> { }).port(70000))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UdpReceiver.builder((p, b, o, l, t) -> { }).bindAddress("localhost"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
