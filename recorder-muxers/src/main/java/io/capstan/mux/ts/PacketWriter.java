package io.capstan.mux.ts;

import io.capstan.mux.common.OutputWriter;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * Cuts PES packets and PSI sections into 188-byte transport stream packets (ISO/IEC 13818-1 2.4.3.2, Table 2-2)
 * and hands them to the output whole: every byte the channel sees belongs to a complete packet, and the write
 * buffer is a multiple of 188 bytes, so a drain never splits a packet. One reused packet array, no allocation.
 */
final class PacketWriter {

    static final int PACKET = 188;
    /** 2.4.3.2: sync_byte. */
    static final int SYNC = 0x47;
    /** 348 packets: the buffer drains at packet boundaries only. */
    static final int BUFFER = PACKET * 348;

    /** One PID's continuity_counter (2.4.3.3): the value used by the last packet with payload. */
    static final class Pid {
        final int pid;
        int cc = 15; // so the first packet with payload carries 0

        Pid(int pid) {
            this.pid = pid;
        }
    }

    private final OutputWriter out;
    private final byte[] p = new byte[PACKET];
    private long packets;

    PacketWriter(WritableByteChannel channel) {
        this.out = new OutputWriter(channel, BUFFER);
    }

    long position() {
        return out.position();
    }

    long packets() {
        return packets;
    }

    void drain() throws IOException {
        out.drain();
    }

    /**
     * Writes {@code buf[from, to)}, one whole PES packet, as transport packets on {@code pid}. The first packet has
     * payload_unit_start_indicator set (2.4.3.3) and, when asked, an adaptation field (2.4.3.4, Table 2-6) with
     * random_access_indicator and/or a PCR. The last packet is padded with adaptation-field stuffing bytes 0xFF
     * (2.4.3.5: stuffing_byte), never with payload, so the PES ends exactly at the packet end.
     *
     * @param pcrBase 33-bit program_clock_reference_base, or -1 for no PCR
     */
    void pes(Pid pid, byte[] buf, int from, int to, long pcrBase, boolean randomAccess) throws IOException {
        // the whole PES reaches the channel in one write, so a process killed at any moment leaves complete
        // PES packets only (at most 176 payload bytes in the first packet, 184 in the others)
        out.whole(((to - from) / 176 + 2) * PACKET);
        boolean first = true;
        int pos = from;
        while (pos < to) {
            boolean pcr = first && pcrBase >= 0;
            boolean rai = first && randomAccess;
            // adaptation field size in bytes, including adaptation_field_length
            int af = (pcr || rai) ? 2 + (pcr ? 6 : 0) : 0;
            int room = PACKET - 4 - af;
            int n = Math.min(room, to - pos);
            if (n < room) {
                af += room - n; // stuff the last packet through the adaptation field
            }
            header(pid.pid, first, af, true, pid.cc = (pid.cc + 1) & 0xF);
            int q = 4;
            if (af > 0) {
                q = adaptationField(af, rai, pcr, pcrBase);
            }
            System.arraycopy(buf, pos, p, q, n);
            pos += n;
            first = false;
            emit();
        }
    }

    /**
     * A packet holding only an adaptation field with a PCR (adaptation_field_control '10', 2.4.3.3). Its
     * continuity_counter repeats the PID's last value: it is not incremented for packets without payload.
     */
    void pcrOnly(Pid pid, long pcrBase) throws IOException {
        header(pid.pid, false, PACKET - 4, false, pid.cc);
        adaptationField(PACKET - 4, false, true, pcrBase);
        emit();
    }

    /**
     * A PSI section in one packet (2.4.4.1): payload_unit_start_indicator 1, pointer_field 0, the section, then
     * 0xFF stuffing bytes up to the packet end (2.4.4.2 allows them after the last section).
     */
    void section(Pid pid, byte[] section, int len) throws IOException {
        if (len > PACKET - 5) {
            throw new IllegalStateException("section of " + len + " bytes does not fit one packet");
        }
        header(pid.pid, true, 0, true, pid.cc = (pid.cc + 1) & 0xF);
        p[4] = 0; // pointer_field: the section starts right after it
        System.arraycopy(section, 0, p, 5, len);
        java.util.Arrays.fill(p, 5 + len, PACKET, (byte) 0xFF);
        emit();
    }

    /** 2.4.3.2 Table 2-2: the 4-byte packet header. */
    private void header(int pid, boolean unitStart, int af, boolean payload, int cc) {
        p[0] = (byte) SYNC;
        // transport_error_indicator 0 | payload_unit_start_indicator | transport_priority 0 | PID (13 bits)
        p[1] = (byte) ((unitStart ? 0x40 : 0) | (pid >>> 8 & 0x1F));
        p[2] = (byte) pid;
        // transport_scrambling_control '00' | adaptation_field_control (Table 2-5: 01 payload, 10 AF, 11 both)
        // | continuity_counter
        int afc = (af > 0 ? 0x20 : 0) | (payload ? 0x10 : 0);
        p[3] = (byte) (afc | cc);
    }

    /**
     * 2.4.3.4 Table 2-6: adaptation field of {@code size} bytes at offset 4 (size 1: just adaptation_field_length
     * 0, which is one stuffing byte). Returns the offset after it.
     */
    private int adaptationField(int size, boolean rai, boolean pcr, long pcrBase) {
        p[4] = (byte) (size - 1); // adaptation_field_length: bytes after this one
        int q = 5;
        if (size >= 2) {
            // discontinuity_indicator 0 | random_access_indicator | elementary_stream_priority_indicator 0
            // | PCR_flag | OPCR_flag 0 | splicing_point_flag 0 | transport_private_data_flag 0 | extension 0
            p[q++] = (byte) ((rai ? 0x40 : 0) | (pcr ? 0x10 : 0));
            if (pcr) {
                // 2.4.3.5: program_clock_reference_base (33) | reserved '111111' | extension (9 bits, 0 here)
                p[q++] = (byte) (pcrBase >>> 25);
                p[q++] = (byte) (pcrBase >>> 17);
                p[q++] = (byte) (pcrBase >>> 9);
                p[q++] = (byte) (pcrBase >>> 1);
                p[q++] = (byte) ((pcrBase & 1) << 7 | 0x7E);
                p[q++] = 0;
            }
            while (q < 4 + size) {
                p[q++] = (byte) 0xFF; // stuffing_byte
            }
        }
        return q;
    }

    private void emit() throws IOException {
        out.whole(PACKET); // never split a packet between two writes, whatever the buffer's capacity
        out.write(p, 0, PACKET);
        packets++;
    }
}
