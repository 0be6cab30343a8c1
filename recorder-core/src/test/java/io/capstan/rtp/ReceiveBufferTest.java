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
    void inOrder_handedOnFromTheCallersView_slotsUsedOnlyWhilePacketsWait() {
        List<RtpPacket> views = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        ReceiveBuffer b = new ReceiveBuffer(64, 100 * MS, (p, extSeq, extTs, arrival, loss) -> {
            views.add(p);
            seen.add((loss ? "!" : "") + p.sequenceNumber());
        });
        RtpPacket caller = new RtpPacket();
        int[] seqs = {9, 10, 11, 13, 12, 14, 15, 17, 18};
        long at = -200;
        for (int s : seqs) {
            byte[] d = Rtp.packet(96, s, s * 100L, 1, false, new byte[] {1});
            caller.wrap(d, 0, d.length);
            b.push(caller, at * MS);
            at = Math.max(at + 1, 0);
            if (s == 9) {
                b.poll(0); // the start hold ends
            }
        }
        b.poll(500 * MS); // 16 is given up
        assertThat(seen).containsExactly("9", "10", "11", "12", "13", "14", "15", "!17", "18");
        // 10, 11, 14, 15 came in order with nothing waiting: the caller's view itself, no copy
        assertThat(views.get(1)).isSameAs(caller);
        assertThat(views.get(2)).isSameAs(caller);
        assertThat(views.get(3)).as("12 fills the gap before 13, which waits: both from their slots")
                .isNotSameAs(caller);
        assertThat(views.get(4)).isNotSameAs(caller);
        assertThat(views.get(5)).isSameAs(caller);
        assertThat(views.get(6)).isSameAs(caller);
        assertThat(views.get(7)).as("17 waited behind the gap").isNotSameAs(caller);
        assertThat(views.get(8)).isNotSameAs(caller);
        assertThat(b.lost()).isEqualTo(1);
        assertThat(b.reordered()).isEqualTo(1);
    }

    @Test
    void inOrder_releasedFromTheCallersBuffer_noSlotsAllocated() {
        // 1024 slots of a long in-order stream used to be allocated one by one (capacity x 1,500 bytes per track)
        ReceiveBuffer big = new ReceiveBuffer(1024, 100 * MS, (p, extSeq, extTs, arrival, loss) -> { });
        byte[] b = Rtp.packet(96, 0, 0, 1, false, new byte[1000]);
        RtpPacket v = new RtpPacket();
        v.wrap(b, 0, b.length);
        big.push(v, 0);
        big.poll(200 * MS); // the start hold is over
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 1; i <= 4096; i++) {
            b[2] = (byte) (i >> 8);
            b[3] = (byte) i;
            v.wrap(b, 0, b.length);
            big.push(v, (200 + i) * MS);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).isLessThan(64 * 1024);
        assertThat(big.received()).isEqualTo(4097);
        assertThat(big.lost()).isZero();
    }

    @Test
    void inOrder_duplicateOfAPacketReleasedWithoutCopy_stillDropped() {
        started();
        push(10, 100, 0);
        push(11, 200, 1);
        push(10, 100, 2);
        push(12, 300, 3);
        assertThat(out).containsExactly("10@100", "11@200", "12@300");
        assertThat(buf.duplicates()).isEqualTo(1);
        assertThat(buf.late()).isZero();
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
