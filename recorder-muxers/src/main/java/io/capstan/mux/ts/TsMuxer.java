package io.capstan.mux.ts;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Muxer;
import io.capstan.mux.common.ByteBuilder;
import io.capstan.mux.common.OpusPackets;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Writes H.264, H.265, AAC and Opus tracks as one MPEG-2 transport stream program (ISO/IEC 13818-1), strictly
 * forward.
 *
 * <pre>
 * file = 188-byte packets, nothing else (2.4.3.2)
 * ├── PAT  PID 0x0000   program 1 -&gt; PMT PID 0x1000                          (2.4.4.3)
 * ├── PMT  PID 0x1000   PCR_PID, one entry per track (stream_type, PID)      (2.4.4.8)
 * │                     PIDs 0x100, 0x101, ... in addTrack order
 * ├── video PES (keyframe: PAT + PMT right before it, random_access_indicator, PCR in its first packet)
 * ├── audio PES (1..n access units), video PES, ...   PAT + PMT again at least every ~67 ms of stream time
 * └── ...                                              PCR with every PES on the PCR PID, and alone when more
 *                                                      than 20 ms of stream time passed without one
 * H.264  stream_type 0x1B  stream_id 0xE0  access unit = AUD (type 9) [SPS PPS] NAL units, Annex B start codes
 * H.265  stream_type 0x24  stream_id 0xE0  access unit = AUD (type 35) [VPS SPS PPS] NAL units (Rec. H.222.0 2.17)
 * AAC    stream_type 0x0F  stream_id 0xC0  ADTS frames (ISO/IEC 14496-3 1.A.3.2)
 * Opus   stream_type 0x06  stream_id 0xBD  registration descriptor 'Opus' + DVB extension descriptor 0x7F/0x80
 *                                          with the channel count; opus_access_unit = control header 0x7FE0 |
 *                                          trim flags, au_size, [start_trim], packet (as ffmpeg writes it)
 * </pre>
 *
 * <h2>Clock</h2>
 * Every track's {@code ptsMicros} is on the segment timeline, so PTS = 90 kHz ticks of it (rounded to the nearest
 * tick) plus a start offset ({@link Options#startOffsetMicros()}, 1.4 s by default as in ffmpeg), modulo 2^33
 * (2.4.3.7), so audio and video keep their relative start. DTS is never written: WebRTC video has no picture
 * reordering and the muxer SPI carries presentation times only, so DTS = PTS (PTS_DTS_flags '10', 2.4.3.7).
 * An Opus track is shifted back by its OpusHead pre-skip and the first access units of each file carry
 * {@code start_trim} = pre-skip, which is what the Ogg and Matroska muxers of Capstan do with the same packets
 * (the first presented sample lands at the packet's time). The system clock is the newest PTS written so far;
 * the PCR (2.4.3.5) is that clock minus half the start offset, so every PES arrives before its PTS.
 *
 * <h2>Starting and crash safety</h2>
 * When the file has video, it starts with PAT, PMT and a video keyframe (segments made by rotation at keyframes
 * can therefore form an HLS playlist); video frames before the first keyframe are dropped and counted, audio
 * frames are held back (at most {@link Options#audioHoldMicros()}) and written right after it. Only whole
 * 188-byte packets ever reach the output, and every PES carries its PES_packet_length (video PES over 64 KiB
 * excepted, where 2.4.3.7 allows 0), so a file cut at any point is a valid stream whose last, incomplete PES a
 * demuxer can recognise. Audio is gathered into PES packets of at most {@link Options#maxAudioPesMicros()};
 * {@link #flush()} writes those out. After an {@link IOException} from the output the muxer writes nothing more.
 *
 * <p>Steady-state writing does not allocate: each track has one reusable PES buffer, packets are cut from it
 * into one reusable 188-byte array, and the output buffer is a multiple of 188 bytes.
 */
public final class TsMuxer implements Muxer {

    /**
     * @param startOffsetMicros added to every timestamp (and half of it is the PCR's lead over the PTS); at least
     *                          100 ms so that the Opus pre-skip shift and the PCR never go negative. A session
     *                          writing HLS segments can pass 1.4 s plus the segment's start on the session
     *                          timeline, so consecutive files continue each other's timestamps
     * @param maxAudioPesMicros an audio PES holds access units spanning at most this long (0: one per PES)
     * @param audioHoldMicros   how long audio is held back waiting for the first video keyframe
     */
    public record Options(long startOffsetMicros, long maxAudioPesMicros, long audioHoldMicros) {

        public static final Options DEFAULT = new Options(1_400_000, 40_000, 2_000_000);
        /** 2^33 ticks of 90 kHz, about 26.5 hours: where PTS wrap. */
        static final long MAX_OFFSET_MICROS = (1L << 33) * 100 / 9;

        public Options {
            if (startOffsetMicros < 100_000 || startOffsetMicros >= MAX_OFFSET_MICROS) {
                throw new IllegalArgumentException("start offset must be in [100 ms, 2^33 ticks of 90 kHz): "
                        + startOffsetMicros);
            }
            if (maxAudioPesMicros < 0 || maxAudioPesMicros > 1_000_000) {
                throw new IllegalArgumentException("audio PES span must be in [0, 1 s]: " + maxAudioPesMicros);
            }
            if (audioHoldMicros < 0) {
                throw new IllegalArgumentException("audio hold must not be negative: " + audioHoldMicros);
            }
        }
    }

    /** ffmpeg's default PIDs: PMT 0x1000, elementary streams from 0x100. */
    static final int PMT_PID = 0x1000;
    static final int FIRST_ES_PID = 0x100;
    static final int MAX_TRACKS = 8;
    /** 2.4.3.7: PTS, DTS and the PCR base are 33-bit counters of the 90 kHz clock. */
    static final long MASK_33 = (1L << 33) - 1;
    /**
     * A standalone PCR once more than this much stream time passed without one (20 ms), so with frames at most
     * 20 ms apart on some track (audio) PCRs are at most 40 ms apart (2.7.2 asks for 100 ms at most; DVB
     * TR 101 290 for 40 ms).
     */
    static final long PCR_PERIOD = 1_800;
    /** PAT/PMT again once this much stream time passed (with frames <= 33 ms apart: gaps below 100 ms). */
    static final long PSI_PERIOD = 6_000;
    /** Table 2-21: PES header with a PTS only = 6 + 3 + 5 bytes. */
    static final int PES_HEADER = 14;
    /** Audio PES stay well below the 16-bit PES_packet_length. */
    static final int MAX_AUDIO_PES_BYTES = 16 * 1024;
    /** Audio access units closer than this to back-to-back share a PES (their times are implied). */
    static final long CONTIGUOUS_MICROS = 500;
    /** Held audio never grows beyond this, whatever the hold time. */
    static final int MAX_HELD_BYTES = 1 << 20;

    /** Table 2-34 stream_type values. */
    static final int STREAM_TYPE_PRIVATE = 0x06;
    static final int STREAM_TYPE_AAC_ADTS = 0x0F;
    static final int STREAM_TYPE_H264 = 0x1B;
    static final int STREAM_TYPE_H265 = 0x24;
    /** Table 2-22 stream_id values. */
    static final int STREAM_ID_VIDEO = 0xE0;
    static final int STREAM_ID_AUDIO = 0xC0;
    static final int STREAM_ID_PRIVATE_1 = 0xBD;

    /** H.264 7.3.2.4: access_unit_delimiter_rbsp, nal_unit_type 9, primary_pic_type 7 (any), stop bit. */
    private static final byte[] AUD_H264 = {0, 0, 0, 1, 0x09, (byte) 0xF0};
    /** H.265 7.3.2.5: nal_unit_type 35, nuh_layer_id 0, nuh_temporal_id_plus1 1; pic_type 2 (I, P, B), stop bit. */
    private static final byte[] AUD_H265 = {0, 0, 0, 1, 0x46, 0x01, 0x50};

    private final class Track {
        final int index;
        final Codec codec;
        final boolean video;
        final PacketWriter.Pid pid;
        final int streamType;
        final int streamId;
        final ByteBuilder pes;
        TrackFormat format;
        // video
        NalConfig nal;
        boolean sawKeyframe;
        // audio
        AacConfig aac;
        int opusChannels;
        int preSkip;
        int pendingTrim;
        long shiftTicks;
        ByteBuilder au;
        ByteBuilder held;
        int pesUnits;
        long pesStartMicros;
        long pesEndMicros;

        Track(int index, TrackFormat format) {
            this.index = index;
            this.format = format;
            this.codec = format.codec();
            this.video = codec.isVideo();
            this.pid = new PacketWriter.Pid(FIRST_ES_PID + index);
            switch (codec) {
                case H264, H265 -> {
                    streamType = codec == Codec.H264 ? STREAM_TYPE_H264 : STREAM_TYPE_H265;
                    streamId = STREAM_ID_VIDEO;
                    nal = NalConfig.of(codec, format.codecPrivate());
                    pes = new ByteBuilder(64 * 1024);
                }
                case AAC -> {
                    streamType = STREAM_TYPE_AAC_ADTS;
                    streamId = STREAM_ID_AUDIO;
                    aac = AacConfig.of(format.codecPrivate(), format.sampleRate(), format.channels());
                    pes = new ByteBuilder(MAX_AUDIO_PES_BYTES + 1024);
                }
                case OPUS -> {
                    streamType = STREAM_TYPE_PRIVATE;
                    streamId = STREAM_ID_PRIVATE_1;
                    byte[] head = OpusPackets.headFor(format);
                    opusChannels = OpusPackets.channels(head);
                    preSkip = OpusPackets.preSkip(head);
                    pendingTrim = preSkip;
                    shiftTicks = preSkip * 90_000L / 48_000;
                    pes = new ByteBuilder(MAX_AUDIO_PES_BYTES + 1024);
                }
                default -> throw new IllegalArgumentException(TsMuxerFactory.reason(codec));
            }
            pes.setLength(PES_HEADER);
            if (!video) {
                au = new ByteBuilder(2048);
                held = new ByteBuilder(4096);
            }
        }

        /** ES_info descriptors of the PMT entry. */
        byte[] descriptors() {
            if (codec != Codec.OPUS) {
                return new byte[0];
            }
            ByteBuilder d = new ByteBuilder(16);
            // 2.6.8 registration_descriptor: tag 5, length 4, format_identifier 'Opus'
            d.u8(0x05).u8(4).ascii("Opus");
            // ETSI EN 300 468 6.2.16 extension_descriptor (tag 0x7F), descriptor_tag_extension 0x80 =
            // opus_audio_descriptor of the Opus-in-TS mapping; channel_config_code = channel count for
            // mapping family 0 (mono / stereo)
            d.u8(0x7F).u8(2).u8(0x80).u8(opusChannels);
            return d.toByteArray();
        }
    }

    private final PacketWriter out;
    private final Options options;
    private final long offsetTicks;
    private final List<Track> tracks = new ArrayList<>();
    private final PacketWriter.Pid patPid = new PacketWriter.Pid(Psi.PAT_PID);
    private final PacketWriter.Pid pmtPid = new PacketWriter.Pid(PMT_PID);
    private Track[] trackArray = new Track[0];
    private byte[] pat;
    private byte[] pmt;
    private PacketWriter.Pid pcrPid;
    private boolean started;
    private boolean closed;
    private IOException failure;
    /** False while a file with video waits for its first keyframe. */
    private boolean gateOpen;
    private boolean psiWritten;
    private boolean anyHeld;
    private long heldFirstMicros;
    private long heldBytes;
    private long clock = Long.MIN_VALUE;
    private long lastPsi;
    private long lastPcr;
    private long frames;
    private long dropped;
    private long rejected;
    private long psiCount;
    private long pcrOnlyPackets;

    public TsMuxer(WritableByteChannel out) {
        this(out, Options.DEFAULT);
    }

    public TsMuxer(WritableByteChannel out, Options options) {
        this.out = new PacketWriter(Objects.requireNonNull(out, "out"));
        this.options = Objects.requireNonNull(options, "options");
        this.offsetTicks = ticksOf(options.startOffsetMicros());
    }

    @Override
    public int addTrack(TrackFormat format) {
        Objects.requireNonNull(format, "format");
        if (started) {
            throw new IllegalStateException("tracks are declared before the first write");
        }
        if (tracks.size() == MAX_TRACKS) {
            throw new IllegalStateException("ts: at most " + MAX_TRACKS + " tracks");
        }
        Track t = new Track(tracks.size(), format);
        tracks.add(t);
        return t.index;
    }

    @Override
    public void write(int track, EncodedFrame frame) throws IOException {
        Track t = writable(track);
        try {
            if (t.video) {
                video(t, frame);
            } else {
                audio(t, frame);
            }
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    private Track writable(int track) throws IOException {
        if (closed) {
            throw new IllegalStateException("muxer is closed");
        }
        if (failure != null) {
            throw new IOException("ts output failed earlier, nothing more is written: " + failure.getMessage(),
                    failure);
        }
        if (track < 0 || track >= tracks.size()) {
            throw new IllegalArgumentException("unknown track " + track);
        }
        if (!started) {
            start();
        }
        return trackArray[track];
    }

    /** Fixes the program on the first write: PCR PID = first video track, else first track; PAT and PMT. */
    private void start() {
        started = true;
        trackArray = tracks.toArray(new Track[0]);
        List<Psi.Stream> streams = new ArrayList<>();
        Track pcr = null;
        for (Track t : trackArray) {
            streams.add(new Psi.Stream(t.streamType, t.pid.pid, t.descriptors()));
            if (pcr == null && t.video) {
                pcr = t;
            }
        }
        gateOpen = pcr == null;
        if (pcr == null && trackArray.length > 0) {
            pcr = trackArray[0];
        }
        pcrPid = pcr == null ? new PacketWriter.Pid(0x1FFF) : pcr.pid; // 0x1FFF: no PCR (2.4.4.9)
        pat = Psi.pat(PMT_PID);
        pmt = Psi.pmt(pcrPid.pid, streams);
    }

    // ---------------------------------------------------------------- video

    private void video(Track t, EncodedFrame f) throws IOException {
        boolean key = f.keyframe();
        if (!t.sawKeyframe && !key) {
            dropped++; // nothing before the first keyframe: a decoder could not use it
            return;
        }
        if (!annexB(t, f.array(), f.length(), key)) {
            rejected++;
            return;
        }
        t.sawKeyframe = true;
        frames++;
        // the first PCR must not pass the PTS of audio held back for this keyframe and written right after it
        advance(!gateOpen && anyHeld ? heldFirstMicros : f.ptsMicros());
        if (key || !psiWritten || clock - lastPsi >= PSI_PERIOD) {
            writePsi(); // at every keyframe, so each one starts a self-contained stretch (HLS, seeking)
        }
        writePes(t, ticks(f.ptsMicros()), key);
        if (!gateOpen) {
            gateOpen = true;
            releaseHeld();
        }
        advance(f.ptsMicros());
        pcrIfDue();
    }

    /**
     * Rewrites a frame of length-prefixed NAL units (ISO/IEC 14496-15) as an Annex B access unit into the track's
     * PES buffer: AUD first (required in TS, Rec. H.222.0 2.14 / 2.17), the parameter sets of the configuration
     * record when a keyframe lacks them, then every NAL unit but AUDs behind a 4-byte start code. Validates all
     * lengths before writing anything; false for a malformed frame.
     */
    private boolean annexB(Track t, byte[] d, int len, boolean key) {
        boolean h265 = t.codec == Codec.H265;
        int ls = t.nal.lengthSize();
        boolean vps = false;
        boolean sps = false;
        boolean pps = false;
        int units = 0;
        int p = 0;
        while (p < len) {
            if (p + ls > len) {
                return false;
            }
            int n = nalLength(d, p, ls);
            p += ls;
            if (n <= 0 || n > len - p) {
                return false;
            }
            int type = h265 ? (d[p] >> 1) & 0x3F : d[p] & 0x1F;
            if (h265) {
                vps |= type == 32;
                sps |= type == 33;
                pps |= type == 34;
            } else {
                sps |= type == 7;
                pps |= type == 8;
            }
            units++;
            p += n;
        }
        if (units == 0) {
            return false;
        }
        ByteBuilder b = t.pes;
        b.setLength(PES_HEADER);
        b.bytes(h265 ? AUD_H265 : AUD_H264);
        if (key && !(sps && pps && (vps || !h265))) {
            b.bytes(t.nal.parameterSets());
        }
        p = 0;
        while (p < len) {
            int n = nalLength(d, p, ls);
            p += ls;
            int type = h265 ? (d[p] >> 1) & 0x3F : d[p] & 0x1F;
            if (type != (h265 ? 35 : 9)) {
                b.u16(0).u16(1); // zero_byte + start_code_prefix_one_3bytes (Annex B.1.1)
                b.bytes(d, p, n);
            }
            p += n;
        }
        return true;
    }

    private static int nalLength(byte[] d, int p, int ls) {
        int n = 0;
        for (int i = 0; i < ls; i++) {
            n = n << 8 | (d[p + i] & 0xFF);
        }
        return n;
    }

    // ---------------------------------------------------------------- audio

    private void audio(Track t, EncodedFrame f) throws IOException {
        byte[] d = f.array();
        int len = f.length();
        long micros;
        ByteBuilder au = t.au;
        au.reset();
        if (t.codec == Codec.AAC) {
            if (len == 0 || len > AacConfig.MAX_FRAME) {
                rejected++;
                return;
            }
            micros = t.aac.frameMicros();
            au.setLength(7);
            t.aac.header(au.array(), 0, len);
            au.bytes(d, 0, len);
        } else {
            int samples = OpusPackets.packetSamples(d, 0, len);
            if (samples < 0 || len < 2) {
                rejected++;
                return;
            }
            micros = samples * 1000L / 48;
            opusAccessUnit(t, au, d, len, samples);
        }
        frames++;
        if (!gateOpen) {
            hold(t, f.ptsMicros(), micros);
            if (f.ptsMicros() - heldFirstMicros >= options.audioHoldMicros() || heldBytes > MAX_HELD_BYTES) {
                // no video keyframe in time: start the file with audio rather than hold more
                gateOpen = true;
                advance(heldFirstMicros);
                writePsi();
                releaseHeld();
                pcrIfDue();
            }
            return;
        }
        advance(f.ptsMicros());
        if (!psiWritten || clock - lastPsi >= PSI_PERIOD) {
            writePsi();
        }
        appendAudio(t, f.ptsMicros(), micros, au.array(), 0, au.length());
        pcrIfDue();
    }

    /**
     * The opus_access_unit of the Opus-in-TS mapping, as ffmpeg writes it: control_header_prefix 0x3FF (11 bits),
     * start_trim_flag, end_trim_flag, control_extension_flag 0, reserved '00'; au_size as a run of 0xFF bytes plus
     * a final byte below 255; start_trim (3 reserved zero bits + 13 bits) while the pre-skip is not used up; then
     * the Opus packet.
     */
    private static void opusAccessUnit(Track t, ByteBuilder au, byte[] d, int len, int samples) {
        int trim = Math.min(t.pendingTrim, samples);
        t.pendingTrim -= trim;
        au.u8(0x7F);
        au.u8(0xE0 | (trim > 0 ? 0x10 : 0));
        int n = len;
        do {
            au.u8(Math.min(n, 255));
            n -= 255;
        } while (n >= 0);
        if (trim > 0) {
            au.u16(trim & 0x1FFF);
        }
        au.bytes(d, 0, len);
    }

    /** Keeps a framed audio access unit until the first video keyframe: u64 pts, u64 duration, u32 size, bytes. */
    private void hold(Track t, long ptsMicros, long micros) {
        if (!anyHeld) {
            anyHeld = true;
            heldFirstMicros = ptsMicros;
        }
        ByteBuilder h = t.held;
        h.u64LE(ptsMicros).u64LE(micros).u32LE(t.au.length());
        h.bytes(t.au.array(), 0, t.au.length());
        heldBytes += t.au.length() + 20;
    }

    private void releaseHeld() throws IOException {
        if (!anyHeld) {
            return;
        }
        for (Track t : trackArray) {
            if (t.video || t.held.length() == 0) {
                continue;
            }
            byte[] h = t.held.array();
            int p = 0;
            while (p < t.held.length()) {
                long pts = le(h, p, 8);
                long micros = le(h, p + 8, 8);
                int n = (int) le(h, p + 16, 4);
                p += 20;
                advance(pts);
                appendAudio(t, pts, micros, h, p, n);
                pcrIfDue(); // the clock walks through the held audio: keep the PCR interval
                p += n;
            }
            t.held.reset();
        }
        anyHeld = false;
        heldBytes = 0;
    }

    private static long le(byte[] b, int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (b[at + i] & 0xFF);
        }
        return v;
    }

    /**
     * Adds an access unit to the track's open PES. A PES carries one PTS, that of its first access unit; the
     * following ones are presented back to back, so a unit that does not follow on without a gap, or that would
     * make the PES span more than the configured time or bytes, closes the open PES first.
     */
    private void appendAudio(Track t, long ptsMicros, long micros, byte[] src, int off, int len)
            throws IOException {
        if (t.pesUnits > 0 && (Math.abs(ptsMicros - t.pesEndMicros) > CONTIGUOUS_MICROS
                || ptsMicros + micros - t.pesStartMicros > options.maxAudioPesMicros()
                || t.pes.length() + len > PES_HEADER + MAX_AUDIO_PES_BYTES)) {
            flushAudio(t);
        }
        if (t.pesUnits == 0) {
            t.pesStartMicros = ptsMicros;
        }
        t.pes.bytes(src, off, len);
        t.pesUnits++;
        t.pesEndMicros = ptsMicros + micros;
        if (t.pesEndMicros + micros - t.pesStartMicros > options.maxAudioPesMicros()) {
            flushAudio(t); // another unit like this one would not fit: do not wait for it
        }
    }

    private void flushAudio(Track t) throws IOException {
        if (t.pesUnits == 0) {
            return;
        }
        writePes(t, ticks(t.pesStartMicros) - t.shiftTicks, true);
        t.pesUnits = 0;
    }

    // ---------------------------------------------------------------- transport

    /** 90 kHz ticks of a segment time, rounded to the nearest tick, plus the start offset (not yet wrapped). */
    private long ticks(long micros) {
        return offsetTicks + ticksOf(micros);
    }

    private static long ticksOf(long micros) {
        return Math.floorDiv(micros * 9 + 50, 100);
    }

    private void advance(long ptsMicros) {
        clock = Math.max(clock, ticks(ptsMicros));
    }

    /** 2.4.3.5: PCR base = system clock minus half the start offset (the lead of every PTS over the PCR). */
    private long pcrBase() {
        return (clock - offsetTicks / 2) & MASK_33;
    }

    private void writePsi() throws IOException {
        out.section(patPid, pat, pat.length);
        out.section(pmtPid, pmt, pmt.length);
        psiWritten = true;
        lastPsi = clock;
        psiCount++;
    }

    private void pcrIfDue() throws IOException {
        if (psiWritten && clock - lastPcr > PCR_PERIOD) {
            out.pcrOnly(pcrPid, pcrBase());
            lastPcr = clock;
            pcrOnlyPackets++;
        }
    }

    /**
     * Completes the PES header in front of the payload in {@code t.pes} (2.4.3.6, Table 2-21) and writes it. The
     * PES on the PCR PID carries a PCR; {@code randomAccess} sets random_access_indicator (2.4.3.5).
     */
    private void writePes(Track t, long pts, boolean randomAccess) throws IOException {
        byte[] b = t.pes.array();
        int payload = t.pes.length() - PES_HEADER;
        int pesLength = 3 + 5 + payload; // bytes after PES_packet_length
        if (pesLength > 0xFFFF) {
            pesLength = 0; // 2.4.3.7: 0 ("unbounded") is allowed for video elementary streams in TS
        }
        b[0] = 0;                              // packet_start_code_prefix 0x000001
        b[1] = 0;
        b[2] = 1;
        b[3] = (byte) t.streamId;              // stream_id
        b[4] = (byte) (pesLength >>> 8);       // PES_packet_length
        b[5] = (byte) pesLength;
        // '10' | PES_scrambling_control '00' | PES_priority 0 | data_alignment_indicator 1 (every PES starts with
        // an access unit: AUD, ADTS sync word, Opus control header) | copyright 0 | original_or_copy 0
        b[6] = (byte) 0x84;
        // PTS_DTS_flags '10' | ESCR, ES_rate, DSM_trick_mode, additional_copy_info, PES_CRC, PES_extension: 0
        b[7] = (byte) 0x80;
        b[8] = 5;                              // PES_header_data_length
        long v = pts & MASK_33;
        b[9] = (byte) (0x21 | (v >>> 29 & 0x0E)); // '0010' | PTS[32..30] | marker_bit
        b[10] = (byte) (v >>> 22);                 // PTS[29..22]
        b[11] = (byte) (v >>> 14 | 1);             // PTS[21..15] | marker_bit
        b[12] = (byte) (v >>> 7);                  // PTS[14..7]
        b[13] = (byte) (v << 1 | 1);               // PTS[6..0] | marker_bit
        boolean pcr = t.pid == pcrPid;
        out.pes(t.pid, b, 0, t.pes.length(), pcr ? pcrBase() : -1, randomAccess);
        if (pcr) {
            lastPcr = clock;
        }
        t.pes.setLength(PES_HEADER);
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * A new configuration on the same codec travels in-band (parameter sets before keyframes, ADTS headers), so
     * this file carries it; another codec, or an Opus channel count change (the PMT's descriptor), does not.
     */
    @Override
    public boolean formatChanged(int track, TrackFormat format) {
        if (track < 0 || track >= tracks.size()) {
            throw new IllegalArgumentException("unknown track " + track);
        }
        Track t = tracks.get(track);
        if (format.codec() != t.codec) {
            return false;
        }
        try {
            switch (t.codec) {
                case H264, H265 -> t.nal = NalConfig.of(t.codec, format.codecPrivate());
                case AAC -> t.aac = AacConfig.of(format.codecPrivate(), format.sampleRate(), format.channels());
                case OPUS -> {
                    if (OpusPackets.channels(OpusPackets.headFor(format)) != t.opusChannels) {
                        return false;
                    }
                }
                default -> {
                    return false;
                }
            }
        } catch (IllegalArgumentException e) {
            return false;
        }
        t.format = format;
        return true;
    }

    /** Writes the open audio PES packets and hands all packets to the output (held audio waits for video). */
    @Override
    public void flush() throws IOException {
        if (closed || failure != null || !started) {
            return;
        }
        try {
            if (gateOpen) {
                for (Track t : trackArray) {
                    if (!t.video) {
                        flushAudio(t);
                    }
                }
            }
            out.drain();
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (failure != null) {
            return; // the output failed: what was written stays as it is
        }
        if (!started) {
            start();
        }
        try {
            if (!gateOpen) {
                // video never sent a keyframe: keep the audio rather than lose it
                gateOpen = true;
                if (anyHeld) {
                    advance(heldFirstMicros);
                    writePsi();
                    releaseHeld();
                }
            }
            for (Track t : trackArray) {
                if (!t.video) {
                    flushAudio(t);
                }
            }
            if (!psiWritten) {
                writePsi(); // an empty recording is still a valid stream with its program
            }
            out.drain();
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public long bytesWritten() {
        return out.position();
    }

    /** Frames accepted (written, or in an open PES / held for the first keyframe until flush or close). */
    @Override
    public long framesWritten() {
        return frames;
    }

    /** Video frames dropped because they came before the track's first keyframe. */
    public long framesDropped() {
        return dropped;
    }

    /** Malformed frames skipped (bad NAL unit lengths, empty or oversized AAC, invalid Opus TOC). */
    public long framesRejected() {
        return rejected;
    }

    /** Transport packets written so far. */
    public long packetsWritten() {
        return out.packets();
    }

    /** How many times PAT + PMT were written. */
    public long psiRepetitions() {
        return psiCount;
    }

    /** Adaptation-field-only packets written to keep the PCR interval. */
    public long pcrOnlyPackets() {
        return pcrOnlyPackets;
    }
}
