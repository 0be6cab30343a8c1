package io.capstan.mux.ts;

/**
 * The fields an ADTS header needs, from an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), and the header itself
 * (ISO/IEC 14496-3 1.A.3.2, Tables 1.A.5 and 1.A.6). ADTS can describe AAC Main, LC, SSR and LTP (profile 0-3)
 * at one of the 13 table sampling rates and channel configurations 1-7; for HE-AAC with explicit SBR/PS
 * signalling (audio object type 5 / 29) it describes the AAC core, which is what ADTS decoders expect.
 *
 * @param profile             ADTS profile_ObjectType = audio object type - 1
 * @param samplingIndex       sampling_frequency_index of the core (Table 1.18)
 * @param channelConfig       channel_configuration (Table 1.19)
 * @param frameMicros         duration of one access unit (1024 core samples)
 */
record AacConfig(int profile, int samplingIndex, int channelConfig, long frameMicros) {

    /** 1.6.3.4 Table 1.18: samplingFrequencyIndex to Hz. */
    static final int[] RATES = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000,
            7350};

    /** 1.A.3.2: aac_frame_length is 13 bits and counts the 7 header bytes. */
    static final int MAX_FRAME = 8191 - 7;

    static AacConfig of(byte[] asc, int sampleRate, int channels) {
        if (asc == null || asc.length == 0) {
            // no AudioSpecificConfig: AAC LC at the track's rate and channels
            return make(2, indexOf(sampleRate, "sample rate " + sampleRate), channels);
        }
        Bits b = new Bits(asc);
        int aot = objectType(b);
        int sfi = b.read(4);
        int rate = sfi == 0xF ? b.read(24) : -1;
        int ch = b.read(4);
        if (aot == 5 || aot == 29) {
            // explicit SBR (/PS): extensionSamplingFrequencyIndex, then the core's audio object type
            int ext = b.read(4);
            if (ext == 0xF) {
                b.read(24);
            }
            aot = objectType(b);
        }
        if (sfi == 0xF) {
            sfi = indexOf(rate, "explicit sampling frequency " + rate);
        }
        return make(aot, sfi, ch);
    }

    private static AacConfig make(int aot, int sfi, int ch) {
        if (aot < 1 || aot > 4) {
            throw new IllegalArgumentException("ADTS cannot carry AAC audio object type " + aot
                    + " (only Main, LC, SSR, LTP); use --container mkv or mp4");
        }
        if (ch < 1 || ch > 7) {
            throw new IllegalArgumentException("ADTS needs channel configuration 1-7, got " + ch
                    + "; use --container mkv or mp4");
        }
        return new AacConfig(aot - 1, sfi, ch, 1024L * 1_000_000 / RATES[sfi]);
    }

    private static int indexOf(int rate, String what) {
        for (int i = 0; i < RATES.length; i++) {
            if (RATES[i] == rate) {
                return i;
            }
        }
        throw new IllegalArgumentException("ADTS has no sampling_frequency_index for " + what);
    }

    /** 1.6.2.1 GetAudioObjectType(): 5 bits, 31 escapes to 32 + 6 more bits. */
    private static int objectType(Bits b) {
        int t = b.read(5);
        return t == 31 ? 32 + b.read(6) : t;
    }

    /** Writes the 7-byte ADTS header (protection_absent 1, no CRC) for a raw access unit of {@code len} bytes. */
    void header(byte[] d, int at, int len) {
        int frameLength = len + 7;
        d[at] = (byte) 0xFF;                                  // syncword 0xFFF (high 8 bits)
        d[at + 1] = (byte) 0xF1;                              // syncword | ID 0 (MPEG-4) | layer 00 | protection_absent 1
        d[at + 2] = (byte) (profile << 6 | samplingIndex << 2 // profile_ObjectType | sampling_frequency_index
                | channelConfig >> 2);                        // | private_bit 0 | channel_configuration (high bit)
        d[at + 3] = (byte) ((channelConfig & 3) << 6          // channel_configuration (low 2 bits)
                | frameLength >> 11);                         // | original_copy 0 | home 0 | copyright bits 0
        d[at + 4] = (byte) (frameLength >> 3);                // aac_frame_length (13 bits)
        d[at + 5] = (byte) ((frameLength & 7) << 5 | 0x1F);   // | adts_buffer_fullness 0x7FF (variable rate)
        d[at + 6] = (byte) 0xFC;                              // | number_of_raw_data_blocks_in_frame 0
    }

    /** MSB-first bit reader over the config; reading past the end is a malformed config. */
    private static final class Bits {
        private final byte[] d;
        private int bit;

        Bits(byte[] d) {
            this.d = d;
        }

        int read(int n) {
            int v = 0;
            for (int i = 0; i < n; i++, bit++) {
                if (bit >>> 3 >= d.length) {
                    throw new IllegalArgumentException("AudioSpecificConfig too short (" + d.length + " bytes)");
                }
                v = v << 1 | (d[bit >>> 3] >> (7 - (bit & 7)) & 1);
            }
            return v;
        }
    }
}
