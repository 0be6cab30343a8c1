package io.capstan.webrtc.dtls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PacketQueueTransportTest {

    @Test
    void offeredDatagramsAreCopiedAndReceivedInOrder() throws IOException {
        PacketQueueTransport t = new PacketQueueTransport((b, o, l) -> { });
        byte[] a = {22, (byte) 0xFE, (byte) 0xFD, 1, 2};
        assertThat(t.offer(a, 1, 3)).isTrue();
        a[1] = 0; // the caller reuses its buffer
        byte[] buf = new byte[1500];
        assertThat(t.receive(buf, 10, 1490, 100)).isEqualTo(3);
        assertThat(new byte[] {buf[10], buf[11], buf[12]}).containsExactly((byte) 0xFE, (byte) 0xFD, 1);
        assertThat(t.receive(buf, 0, 1500, 20)).as("nothing queued: timeout").isEqualTo(-1);
    }

    @Test
    void fullQueue_dropsAndCounts() {
        PacketQueueTransport t = new PacketQueueTransport((b, o, l) -> { }, 1200, 2);
        byte[] d = new byte[100];
        assertThat(t.offer(d, 0, 100)).isTrue();
        assertThat(t.offer(d, 0, 100)).isTrue();
        assertThat(t.offer(d, 0, 100)).isFalse();
        assertThat(t.offer(new byte[1600], 0, 1600)).as("longer than any datagram").isFalse();
        assertThat(t.dropped()).isEqualTo(2);
        assertThat(t.getSendLimit()).isEqualTo(1200);
    }

    @Test
    void sendGoesToTheSender_untilClosed() throws IOException {
        List<Integer> sent = new ArrayList<>();
        PacketQueueTransport t = new PacketQueueTransport((b, o, l) -> sent.add(l));
        t.send(new byte[50], 0, 50);
        t.close();
        t.close();
        assertThat(sent).containsExactly(50);
        assertThatThrownBy(() -> t.send(new byte[5], 0, 5)).isInstanceOf(IOException.class);
    }

    @Test
    void close_wakesAWaitingReceiver() throws Exception {
        PacketQueueTransport t = new PacketQueueTransport((b, o, l) -> { });
        CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                t.receive(new byte[1500], 0, 1500, 0);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        Thread.sleep(100);
        assertThat(waiting).isNotDone();
        t.close();
        assertThat(waiting.get(2, TimeUnit.SECONDS)).isInstanceOf(IOException.class)
                .hasMessage("DTLS transport closed");
        assertThat(t.offer(new byte[10], 0, 10)).isFalse();
    }
}
