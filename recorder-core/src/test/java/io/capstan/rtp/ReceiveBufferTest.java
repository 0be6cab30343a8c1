package io.capstan.rtp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ReceiveBufferTest {

    private static final long MS = 1_000_000L;
    private final List<String> out = new ArrayList<>();
    private final ReceiveBuffer buf = new ReceiveBuffer(64, 100 * MS,
            (p, extSeq, extTs, arrival, loss) -> out.add((loss ? "!" : "") + p.sequenceNumber() + "@" + extTs));
    private final RtpPacket view = new RtpPacket();

    /** Starts the stream with seq 9 and lets the start hold (one latency) pass. */
    private void started() {
        push(9, 0, -200);
        buf.poll(0);
        out.clear();
    }

    private void push(int seq, long ts, long atMs) {
        byte[] b = Rtp.packet(96, seq & 0xFFFF, ts & 0xFFFFFFFFL, 1, false, new byte[] {1});
        view.wrap(b, 0, b.length);
        buf.push(view, atMs * MS);
    }

    @Test
    void inOrder_passesStraightThrough() {
        started();
        push(10, 100, 0);
        push(11, 200, 1);
        assertThat(out).containsExactly("10@100", "11@200");
        assertThat(buf.lost()).isZero();
    }

    @Test
    void reordered_putBackInOrder() {
        started();
        push(10, 100, 0);
        push(12, 300, 1);
        push(11, 200, 2);
        assertThat(out).containsExactly("10@100", "11@200", "12@300");
        assertThat(buf.reordered()).isEqualTo(1);
        assertThat(buf.lost()).isZero();
    }

    @Test
    void duplicates_droppedAndCounted() {
        started();
        push(10, 100, 0);
        push(10, 100, 1);   // after release
        push(12, 300, 2);
        push(12, 300, 3);   // while buffered
        push(11, 200, 4);
        assertThat(out).containsExactly("10@100", "11@200", "12@300");
        assertThat(buf.duplicates()).isEqualTo(2);
    }

    @Test
    void loss_declaredAfterLatency_nextPacketFlagged() {
        started();
        push(10, 100, 0);
        push(12, 300, 10);
        assertThat(out).containsExactly("10@100");
        buf.poll(50 * MS);
        assertThat(out).hasSize(1);
        buf.poll(111 * MS);
        assertThat(out).containsExactly("10@100", "!12@300");
        assertThat(buf.lost()).isEqualTo(1);
        push(11, 200, 120);   // too late now
        assertThat(buf.late()).isEqualTo(1);
        assertThat(out).hasSize(2);
    }

    @Test
    void startOfStream_reorderedFirstPacketsKept() {
        push(12, 300, 0);
        push(10, 100, 1);
        push(11, 200, 2);
        assertThat(out).isEmpty();
        buf.poll(100 * MS);
        assertThat(out).containsExactly("10@100", "11@200", "12@300");
        assertThat(buf.lost()).isZero();
    }

    @Test
    void sequenceAndTimestampWraparound() {
        push(65534, 0xFFFFFF00L, 0);
        push(65535, 0xFFFFFFF0L, 1);
        push(0, 0x10, 2);
        push(1, 0x20, 3);
        buf.releaseAll();
        assertThat(out).containsExactly("65534@4294967040", "65535@4294967280", "0@4294967312", "1@4294967328");
        assertThat(buf.lost()).isZero();
    }

    @Test
    void reorderAcrossTheWrap() {
        push(65535, 1000, 0);
        push(1, 1200, 1);
        push(0, 1100, 2);
        buf.releaseAll();
        assertThat(out).containsExactly("65535@1000", "0@1100", "1@1200");
    }

    @Test
    void jumpBeyondTheWindow_releasesAndCountsGap() {
        started();
        push(10, 100, 0);
        push(11, 200, 1);
        push(11 + 100, 300, 2);
        assertThat(out).containsExactly("10@100", "11@200", "!111@300");
        assertThat(buf.lost()).isEqualTo(99);
    }

    @Test
    void releaseAll_flushesBehindGaps() {
        started();
        push(10, 100, 0);
        push(13, 400, 1);
        push(12, 300, 2);
        buf.releaseAll();
        assertThat(out).containsExactly("10@100", "!12@300", "13@400");
        assertThat(buf.lost()).isEqualTo(1);
        assertThat(buf.bufferedPackets()).isZero();
    }

    @Test
    void seededChaos_everyPacketOutOnceInOrder() {
        java.util.Random r = new java.util.Random(1234);
        List<Integer> seqs = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            seqs.add((60000 + i) & 0xFFFF);
        }
        // local shuffles (reordering up to 5 positions) and 2% duplicates
        for (int i = 0; i + 5 < seqs.size(); i += 5) {
            java.util.Collections.shuffle(seqs.subList(i, i + 5), r);
        }
        long t = 0;
        int dups = 0;
        for (int s : seqs) {
            push(s, s * 10L, t++);
            if (r.nextInt(50) == 0) {
                push(s, s * 10L, t);
                dups++;
            }
        }
        buf.releaseAll();
        assertThat(out).hasSize(5000);
        assertThat(buf.duplicates()).isEqualTo(dups);
        assertThat(buf.lost()).isZero();
        List<Integer> released = out.stream().map(x -> Integer.parseInt(x.substring(0, x.indexOf('@')))).toList();
        for (int i = 1; i < released.size(); i++) {
            assertThat(SeqMath.seqDelta(released.get(i - 1), released.get(i))).isEqualTo(1);
        }
    }

    /**
     * Found by the impairment matrix (its receive-buffer occupancy check, long mode): a duplicate (or late) packet
     * returned before polling, so packets behind a gap stayed buffered past the latency for as long as only
     * duplicates arrived. Every arrival advances the clock.
     */
    @Test
    void duplicateArrival_releasesAGapThatWaitedOutTheLatency() {
        started();
        push(10, 100, 0);
        push(12, 300, 10);                 // 11 is missing: 12 waits
        assertThat(out).containsExactly("10@100");
        push(10, 100, 150);                // a duplicate, 140 ms after 12 arrived (latency 100 ms)
        assertThat(out).containsExactly("10@100", "!12@300");
        assertThat(buf.bufferedPackets()).isZero();
        assertThat(buf.lost()).isEqualTo(1);
        assertThat(buf.duplicates()).isEqualTo(1);
    }
}
