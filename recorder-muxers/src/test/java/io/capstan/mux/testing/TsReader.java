package io.capstan.mux.testing;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent, strict test-scope reader of MPEG-2 transport streams (ISO/IEC 13818-1): checks every packet's
 * sync byte and the continuity counters per PID, parses PAT and PMT (CRC checked with a bitwise CRC-32/MPEG-2),
 * collects PCRs and reassembles PES packets with their PTS/DTS, flags and payload. Anything malformed is an
 * {@link AssertionError} naming the packet.
 */
public final class TsReader {

    public static final int PACKET = 188;

    /** One elementary stream entry of the PMT. */
    public record EsInfo(int streamType, int pid, byte[] descriptors) {
    }

    /** A reassembled PES packet. {@code complete}: its PES_packet_length was met (or 0 and ended by the next). */
    public record Pes(int pid, int streamId, int packetIndex, long pts, long dts, boolean dataAlignment,
                      boolean randomAccess, int declaredLength, byte[] payload, boolean complete) {
    }

    /** A PCR sample: packet index, PID, base (90 kHz) and extension. */
    public record Pcr(int packetIndex, int pid, long base, int extension) {
    }

    public int packets;
    public int trailingBytes;
    public final List<String> order = new ArrayList<>();           // "PAT", "PMT", "PES:<pid>", "PCR:<pid>"
    public final List<Integer> patPackets = new ArrayList<>();
    public final List<Integer> pmtPackets = new ArrayList<>();
    public final List<Pcr> pcrs = new ArrayList<>();
    public final List<Pes> pes = new ArrayList<>();
    public int pmtPid = -1;
    public int programNumber = -1;
    public int pcrPid = -1;
    public List<EsInfo> streams = List.of();
    public byte[] patSection;
    public byte[] pmtSection;

    private final Map<Integer, Integer> lastCc = new HashMap<>();
    private final Map<Integer, Open> open = new LinkedHashMap<>();

    private static final class Open {
        int packetIndex;
        boolean rai;
        int declared = -1;
        ByteArrayOutputStream data = new ByteArrayOutputStream();
    }

    /** Reads a whole stream; {@code allowPartialTail}: a cut file may end inside a packet. */
    public static TsReader read(byte[] ts, boolean allowPartialTail) {
        TsReader r = new TsReader();
        int n = ts.length / PACKET;
        r.trailingBytes = ts.length % PACKET;
        if (r.trailingBytes != 0 && !allowPartialTail) {
            throw new AssertionError("length " + ts.length + " is not a multiple of 188");
        }
        for (int i = 0; i < n; i++) {
            r.packet(ts, i * PACKET, i);
        }
        r.finish();
        return r;
    }

    private void packet(byte[] b, int at, int index) {
        packets++;
        if ((b[at] & 0xFF) != 0x47) {
            throw new AssertionError("packet " + index + ": sync byte " + Integer.toHexString(b[at] & 0xFF));
        }
        if ((b[at + 1] & 0x80) != 0) {
            throw new AssertionError("packet " + index + ": transport_error_indicator set");
        }
        boolean pusi = (b[at + 1] & 0x40) != 0;
        int pid = (b[at + 1] & 0x1F) << 8 | (b[at + 2] & 0xFF);
        if ((b[at + 3] & 0xC0) != 0) {
            throw new AssertionError("packet " + index + ": scrambled");
        }
        int afc = (b[at + 3] >> 4) & 3;
        int cc = b[at + 3] & 0xF;
        if (afc == 0) {
            throw new AssertionError("packet " + index + ": adaptation_field_control 00 is reserved");
        }
        boolean payload = (afc & 1) != 0;
        Integer prev = lastCc.get(pid);
        if (prev != null) {
            int expect = payload ? (prev + 1) & 0xF : prev;
            if (cc != expect) {
                throw new AssertionError("packet " + index + " PID " + pid + ": continuity_counter " + cc
                        + ", expected " + expect);
            }
        }
        lastCc.put(pid, cc);
        int p = at + 4;
        boolean rai = false;
        if ((afc & 2) != 0) {
            int afLen = b[p] & 0xFF;
            int max = payload ? 182 : 183;
            if (afLen > max) {
                throw new AssertionError("packet " + index + ": adaptation_field_length " + afLen);
            }
            if (!payload && afLen != 183) {
                throw new AssertionError("packet " + index + ": AF-only packet with adaptation_field_length " + afLen);
            }
            if (afLen > 0) {
                int flags = b[p + 1] & 0xFF;
                rai = (flags & 0x40) != 0;
                int q = p + 2;
                if ((flags & 0x10) != 0) {
                    long base = (b[q] & 0xFFL) << 25 | (b[q + 1] & 0xFFL) << 17 | (b[q + 2] & 0xFFL) << 9
                            | (b[q + 3] & 0xFFL) << 1 | (b[q + 4] & 0x80) >> 7;
                    if ((b[q + 4] & 0x7E) != 0x7E) {
                        throw new AssertionError("packet " + index + ": PCR reserved bits not all ones");
                    }
                    int ext = (b[q + 4] & 1) << 8 | (b[q + 5] & 0xFF);
                    pcrs.add(new Pcr(index, pid, base, ext));
                    order.add("PCR:" + pid);
                    q += 6;
                }
                if ((flags & 0x0F) != 0 || (flags & 0x80) != 0) {
                    throw new AssertionError("packet " + index + ": unexpected adaptation field flags " + flags);
                }
                for (; q < p + 1 + afLen; q++) {
                    if ((b[q] & 0xFF) != 0xFF) {
                        throw new AssertionError("packet " + index + ": stuffing byte " + (b[q] & 0xFF));
                    }
                }
            }
            p += 1 + afLen;
        }
        if (!payload) {
            return;
        }
        int end = at + PACKET;
        if (pid == 0) {
            section(b, p, end, pusi, index, true);
        } else if (pid == pmtPid) {
            section(b, p, end, pusi, index, false);
        } else if (pid != 0x1FFF) {
            Open o = open.get(pid);
            if (pusi) {
                if (o != null) {
                    closePes(pid, o, false);
                }
                o = new Open();
                o.packetIndex = index;
                o.rai = rai;
                open.put(pid, o);
                order.add("PES:" + pid);
            } else if (o == null) {
                throw new AssertionError("packet " + index + " PID " + pid + ": payload without a PES start");
            } else if (rai) {
                throw new AssertionError("packet " + index + ": random_access_indicator inside a PES");
            }
            o.data.write(b, p, end - p);
            if (o.declared < 0 && o.data.size() >= 6) {
                o.declared = declaredLength(o.data.toByteArray());
            }
            int declared = o.declared;
            if (declared > 0 && o.data.size() >= declared + 6) {
                if (o.data.size() != declared + 6) {
                    throw new AssertionError("PES on PID " + pid + " at packet " + o.packetIndex + ": "
                            + o.data.size() + " bytes, PES_packet_length says " + (declared + 6));
                }
                closePes(pid, o, true);
                open.remove(pid);
            }
        }
    }

    private static int declaredLength(byte[] d) {
        return d.length < 6 ? -1 : (d[4] & 0xFF) << 8 | (d[5] & 0xFF);
    }

    private void section(byte[] b, int p, int end, boolean pusi, int index, boolean pat) {
        if (!pusi) {
            throw new AssertionError("packet " + index + ": section continuation not expected");
        }
        int pointer = b[p] & 0xFF;
        p += 1 + pointer;
        int tableId = b[p] & 0xFF;
        int len = (b[p + 1] & 0x0F) << 8 | (b[p + 2] & 0xFF);
        if ((b[p + 1] & 0xC0) != 0x80) {
            throw new AssertionError("packet " + index + ": section_syntax_indicator/zero bits wrong");
        }
        if (p + 3 + len > end) {
            throw new AssertionError("packet " + index + ": section runs past the packet");
        }
        byte[] s = Arrays.copyOfRange(b, p, p + 3 + len);
        if (crc(s) != 0) {
            throw new AssertionError("packet " + index + ": CRC_32 mismatch in table " + tableId);
        }
        for (int q = p + 3 + len; q < end; q++) {
            if ((b[q] & 0xFF) != 0xFF) {
                throw new AssertionError("packet " + index + ": bytes after the section are not 0xFF");
            }
        }
        if (pat) {
            if (tableId != 0) {
                throw new AssertionError("PAT table_id " + tableId);
            }
            patPackets.add(index);
            order.add("PAT");
            if (patSection != null && !Arrays.equals(patSection, s)) {
                throw new AssertionError("PAT changed at packet " + index);
            }
            patSection = s;
            // 8 header bytes, then (program_number, PID) loops, then CRC
            int programs = (len - 5 - 4) / 4;
            if (programs != 1) {
                throw new AssertionError("PAT lists " + programs + " programs");
            }
            programNumber = (s[8] & 0xFF) << 8 | (s[9] & 0xFF);
            pmtPid = (s[10] & 0x1F) << 8 | (s[11] & 0xFF);
        } else {
            if (tableId != 2) {
                throw new AssertionError("PMT table_id " + tableId);
            }
            pmtPackets.add(index);
            order.add("PMT");
            if (pmtSection != null && !Arrays.equals(pmtSection, s)) {
                throw new AssertionError("PMT changed at packet " + index);
            }
            pmtSection = s;
            pcrPid = (s[8] & 0x1F) << 8 | (s[9] & 0xFF);
            int infoLen = (s[10] & 0x0F) << 8 | (s[11] & 0xFF);
            int q = 12 + infoLen;
            List<EsInfo> es = new ArrayList<>();
            while (q < s.length - 4) {
                int type = s[q] & 0xFF;
                int pid = (s[q + 1] & 0x1F) << 8 | (s[q + 2] & 0xFF);
                int dl = (s[q + 3] & 0x0F) << 8 | (s[q + 4] & 0xFF);
                es.add(new EsInfo(type, pid, Arrays.copyOfRange(s, q + 5, q + 5 + dl)));
                q += 5 + dl;
            }
            streams = es;
        }
    }

    private void closePes(int pid, Open o, boolean lengthMet) {
        byte[] d = o.data.toByteArray();
        if (d.length < 9 || d[0] != 0 || d[1] != 0 || d[2] != 1) {
            throw new AssertionError("PES on PID " + pid + " at packet " + o.packetIndex + ": no start code");
        }
        int streamId = d[3] & 0xFF;
        int declared = declaredLength(d);
        if ((d[6] & 0xC0) != 0x80) {
            throw new AssertionError("PES at packet " + o.packetIndex + ": '10' marker missing");
        }
        boolean align = (d[6] & 0x04) != 0;
        int ptsDts = (d[7] & 0xC0) >> 6;
        int hdrLen = d[8] & 0xFF;
        long pts = -1;
        long dts = -1;
        if (ptsDts >= 2) {
            pts = timestamp(d, 9, ptsDts == 3 ? 3 : 2, o.packetIndex);
            dts = pts;
            if (ptsDts == 3) {
                dts = timestamp(d, 14, 1, o.packetIndex);
            }
        }
        boolean complete = lengthMet || declared == 0;
        pes.add(new Pes(pid, streamId, o.packetIndex, pts, dts, align, o.rai, declared,
                Arrays.copyOfRange(d, 9 + hdrLen, d.length), complete));
    }

    /** Table 2-21: '0010'/'0011'/'0001' | ts[32..30] | 1 | ts[29..15] | 1 | ts[14..0] | 1. */
    private static long timestamp(byte[] d, int at, int prefix, int index) {
        if ((d[at] & 0xF0) >> 4 != prefix || (d[at] & 1) != 1 || (d[at + 2] & 1) != 1 || (d[at + 4] & 1) != 1) {
            throw new AssertionError("PES at packet " + index + ": bad PTS/DTS marker bits");
        }
        return (d[at] & 0x0EL) << 29 | (d[at + 1] & 0xFFL) << 22 | (d[at + 2] & 0xFEL) << 14
                | (d[at + 3] & 0xFFL) << 7 | (d[at + 4] & 0xFEL) >> 1;
    }

    /** PES still open at the end of the data: kept as incomplete (a cut file), unless their length was 0. */
    private void finish() {
        for (Map.Entry<Integer, Open> e : open.entrySet()) {
            Open o = e.getValue();
            if (o.data.size() >= 9) {
                byte[] d = o.data.toByteArray();
                int declared = declaredLength(d);
                if (declared > 0) {
                    pes.add(new Pes(e.getKey(), d[3] & 0xFF, o.packetIndex, -1, -1, false, o.rai, declared,
                            new byte[0], false));
                } else {
                    closePes(e.getKey(), o, false);
                }
            }
        }
        open.clear();
        pes.sort((a, b) -> Integer.compare(a.packetIndex(), b.packetIndex()));
    }

    public List<Pes> pes(int pid) {
        return pes.stream().filter(p -> p.pid() == pid).toList();
    }

    /** CRC-32/MPEG-2, bit by bit (Annex A); 0 over a section including its CRC_32 field. */
    public static int crc(byte[] s) {
        int crc = 0xFFFF_FFFF;
        for (byte value : s) {
            for (int i = 7; i >= 0; i--) {
                int bit = (value >> i) & 1;
                boolean top = (crc >>> 31) != bit;
                crc <<= 1;
                if (top) {
                    crc ^= 0x04C1_1DB7;
                }
            }
        }
        return crc;
    }
}
