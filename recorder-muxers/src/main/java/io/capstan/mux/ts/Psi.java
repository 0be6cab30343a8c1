package io.capstan.mux.ts;

import io.capstan.mux.common.ByteBuilder;

import java.util.List;

/**
 * Program specific information of a single-program transport stream, built once per file as finished sections
 * (CRC included) that are written again unchanged at every repetition.
 */
final class Psi {

    /** 2.4.4.4 Table 2-31: table_id values. */
    static final int PAT_TABLE_ID = 0x00;
    static final int PMT_TABLE_ID = 0x02;
    /** Table 2-3: the PAT travels on PID 0. */
    static final int PAT_PID = 0x0000;
    /** The program's number (program_number 0 would mean the network PID, 2.4.4.3). */
    static final int PROGRAM_NUMBER = 1;
    static final int TRANSPORT_STREAM_ID = 1;

    /** One elementary stream in the PMT: stream_type (Table 2-34), its PID and its ES_info descriptors. */
    record Stream(int streamType, int pid, byte[] descriptors) {
    }

    private Psi() {
    }

    /** 2.4.4.3 Table 2-30: program_association_section with one program. */
    static byte[] pat(int pmtPid) {
        ByteBuilder b = new ByteBuilder(16);
        b.u16(TRANSPORT_STREAM_ID);          // transport_stream_id
        b.u8(0xC1);                          // reserved '11' | version_number 0 | current_next_indicator 1
        b.u8(0);                             // section_number
        b.u8(0);                             // last_section_number
        b.u16(PROGRAM_NUMBER);               // program_number
        b.u16(0xE000 | pmtPid);              // reserved '111' | program_map_PID
        return section(PAT_TABLE_ID, b);
    }

    /** 2.4.4.8 Table 2-33: TS_program_map_section, no program descriptors. */
    static byte[] pmt(int pcrPid, List<Stream> streams) {
        ByteBuilder b = new ByteBuilder(64);
        b.u16(PROGRAM_NUMBER);               // program_number
        b.u8(0xC1);                          // reserved '11' | version_number 0 | current_next_indicator 1
        b.u8(0);                             // section_number
        b.u8(0);                             // last_section_number
        b.u16(0xE000 | pcrPid);              // reserved '111' | PCR_PID
        b.u16(0xF000);                       // reserved '1111' | program_info_length 0
        for (Stream s : streams) {
            b.u8(s.streamType());            // stream_type
            b.u16(0xE000 | s.pid());         // reserved '111' | elementary_PID
            b.u16(0xF000 | s.descriptors().length); // reserved '1111' | ES_info_length
            b.bytes(s.descriptors());
        }
        return section(PMT_TABLE_ID, b);
    }

    /**
     * 2.4.4.11 Table 2-29 (long form): table_id, section_syntax_indicator 1, '0', reserved '11', section_length
     * (the bytes after it, CRC included), the body, CRC_32 (Annex A).
     */
    private static byte[] section(int tableId, ByteBuilder body) {
        ByteBuilder s = new ByteBuilder(body.length() + 8);
        s.u8(tableId);
        s.u16(0xB000 | (body.length() + 4));
        s.bytes(body.array(), 0, body.length());
        s.uBE(Crc32Mpeg.of(s.array(), 0, s.length()) & 0xFFFF_FFFFL, 4);
        return s.toByteArray();
    }
}
