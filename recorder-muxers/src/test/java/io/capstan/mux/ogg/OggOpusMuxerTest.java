package io.capstan.mux.ogg;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.common.OpusPackets;
import io.capstan.mux.testing.MemoryOutput;
import io.capstan.mux.testing.OggReader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trips through the independent {@link OggReader}: pages, CRCs, packets, granule positions. */
class OggOpusMuxerTest {

    private static final TrackFormat STEREO = TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, null);

    /** A 20 ms CELT fullband packet (config 31, code 0) of {@code size} bytes with recognizable content. */
    static byte[] packet(int size, int seed) {
        byte[] p = new byte[size];
        new Random(seed).nextBytes(p);
        p[0] = (byte) 0xFC; // config 31, stereo, code 0
        return p;
    }

    static List<byte[]> packets(int n, int size) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(packet(size, i));
        }
        return out;
    }

    /** Muxes packets at 20 ms spacing (or at the given pts) through one reused frame. */
    static byte[] mux(MemoryOutput out, int serial, List<byte[]> packets, long[] pts) throws IOException {
        OggOpusMuxer m = new OggOpusMuxer(out, serial);
        m.addTrack(STEREO);
        EncodedFrame f = new EncodedFrame(64);
        for (int i = 0; i < packets.size(); i++) {
            byte[] p = packets.get(i);
            m.write(0, f.set(p, 0, p.length).ptsMicros(pts == null ? i * 20_000L : pts[i]));
        }
        m.close();
        return out.bytes();
    }

    @Test
    void roundTrip_headersPacketsCrcAndGranules() throws IOException {
        List<byte[]> in = packets(120, 150);
        byte[] file = mux(new MemoryOutput(), 0x1234_5678, in, null);
        OggReader r = OggReader.read(file);

        assertThat(r.pages).allMatch(OggReader.Page::crcOk, "CRC verifies");
        assertThat(r.pages).allMatch(p -> p.serial() == 0x1234_5678);
        for (int i = 0; i < r.pages.size(); i++) {
            assertThat(r.pages.get(i).sequence()).isEqualTo(i);
            assertThat(r.pages.get(i).bos()).isEqualTo(i == 0);
            assertThat(r.pages.get(i).eos()).isEqualTo(i == r.pages.size() - 1);
        }
        // RFC 7845 section 3: OpusHead alone on the BOS page, OpusTags ending page 1, both granule 0
        assertThat(r.pages.get(0).lacing()).containsExactly(19);
        assertThat(r.pages.get(0).granule()).isZero();
        assertThat(r.pages.get(1).granule()).isZero();
        assertThat(r.packets.get(0).data()).isEqualTo(OpusPackets.buildHead(2, 312, 48000));
        byte[] tags = r.packets.get(1).data();
        assertThat(new String(tags, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("OpusTags");
        assertThat(new String(tags, 12, 7, StandardCharsets.UTF_8)).isEqualTo("Capstan");
        assertThat(r.packets.get(2).pageIndex()).isEqualTo(2);

        // audio packets come back byte for byte
        List<OggReader.Packet> audio = r.packets.subList(2, r.packets.size());
        assertThat(audio).hasSize(in.size());
        for (int i = 0; i < in.size(); i++) {
            assertThat(audio.get(i).data()).isEqualTo(in.get(i));
        }
        // each page's granule = samples up to the end of its last completed packet (pre-skip counted in)
        for (int i = 0; i < audio.size(); i++) {
            if (audio.get(i).lastOnPage()) {
                assertThat(audio.get(i).pageGranule()).isEqualTo((i + 1) * 960L);
            }
        }
        assertThat(r.pages.get(r.pages.size() - 1).granule()).isEqualTo(120 * 960L);
    }

    @Test
    void pages_stayUnder4KiB_255Segments_andOneSecond() throws IOException {
        OggReader big = OggReader.read(mux(new MemoryOutput(), 1, packets(200, 400), null));
        for (OggReader.Page p : big.pages) {
            assertThat(p.bodyLength()).isLessThanOrEqualTo(4096);
            assertThat(p.lacing().length).isLessThanOrEqualTo(255);
        }
        // tiny packets: the one-second rule closes pages, not the size rule
        OggReader small = OggReader.read(mux(new MemoryOutput(), 1, packets(200, 3), null));
        long prev = 0;
        for (OggReader.Page p : small.pages.subList(2, small.pages.size())) {
            assertThat(p.granule() - prev).isLessThanOrEqualTo(48_000);
            prev = p.granule();
        }
        assertThat(small.pages).hasSize(2 + 4); // 200 x 20 ms = 4 s -> 4 audio pages
    }

    @Test
    void packetLongerThanAPage_continuesOnTheNextPage() throws IOException {
        byte[] huge = packet(255 * 255 + 100, 7);
        List<byte[]> in = List.of(packet(100, 1), huge, packet(100, 2));
        OggReader r = OggReader.read(mux(new MemoryOutput(), 1, in, null));
        assertThat(r.pages).allMatch(OggReader.Page::crcOk);
        assertThat(r.packets.subList(2, r.packets.size())).extracting(OggReader.Packet::data)
                .containsExactly(in.toArray(new byte[0][]));
        assertThat(r.pages).anyMatch(OggReader.Page::continued);
        // a page on which no packet ends has granule -1 (RFC 3533 section 6)
        assertThat(r.pages).anyMatch(p -> p.granule() == -1);
    }

    @Test
    void gap_isFilledWithOneByteTocOnlyPackets() throws IOException {
        List<byte[]> in = packets(10, 80);
        long[] pts = new long[10];
        for (int i = 0; i < 10; i++) {
            pts[i] = i * 20_000L + (i >= 5 ? 420_000 : 0); // 420 ms of DTX between packets 4 and 5
        }
        MemoryOutput out = new MemoryOutput();
        OggOpusMuxer m = new OggOpusMuxer(out, 1);
        m.addTrack(STEREO);
        EncodedFrame f = new EncodedFrame(64);
        for (int i = 0; i < 10; i++) {
            m.write(0, f.set(in.get(i), 0, 80).ptsMicros(pts[i]));
        }
        m.close();
        assertThat(m.fillPackets()).isEqualTo(21);
        OggReader r = OggReader.read(out.bytes());
        List<OggReader.Packet> audio = r.packets.subList(2, r.packets.size());
        assertThat(audio).hasSize(31);
        for (int i = 5; i < 26; i++) {
            // RFC 6716 section 3.2.1: TOC of the previous packet (config 31, stereo), code 0, no frame data
            assertThat(audio.get(i).data()).containsExactly((byte) 0xFC);
        }
        assertThat(audio.get(26).data()).isEqualTo(in.get(5));
        assertThat(r.pages.get(r.pages.size() - 1).granule()).isEqualTo((10 + 21) * 960L);
    }

    @Test
    void malformedPackets_areSkippedAndCounted() throws IOException {
        MemoryOutput out = new MemoryOutput();
        OggOpusMuxer m = new OggOpusMuxer(out, 1);
        m.addTrack(STEREO);
        EncodedFrame f = new EncodedFrame(64);
        m.write(0, f.set(packet(50, 1), 0, 50).ptsMicros(0));
        m.write(0, f.set(new byte[0], 0, 0).ptsMicros(20_000));
        m.write(0, f.set(new byte[] {(byte) 0xFF}, 0, 1).ptsMicros(20_000)); // code 3 without count byte
        m.write(0, f.set(packet(50, 2), 0, 50).ptsMicros(20_000));
        m.close();
        assertThat(m.packetsRejected()).isEqualTo(2);
        assertThat(m.framesWritten()).isEqualTo(2);
        assertThat(OggReader.read(out.bytes()).packets).hasSize(4);
    }

    @Test
    void flush_writesAllButTheNewestPacket_soCloseStillEndsOnARealEosPage() throws IOException {
        MemoryOutput out = new MemoryOutput();
        OggOpusMuxer m = new OggOpusMuxer(out, 1);
        m.addTrack(STEREO);
        EncodedFrame f = new EncodedFrame(64);
        for (int i = 0; i < 5; i++) {
            m.write(0, f.set(packet(60, i), 0, 60).ptsMicros(i * 20_000L));
        }
        m.flush();
        OggReader flushed = OggReader.read(out.bytes());
        assertThat(flushed.packets).hasSize(2 + 4);
        assertThat(flushed.pages.get(flushed.pages.size() - 1).granule()).isEqualTo(4 * 960L);
        m.flush(); // nothing more to push
        assertThat(OggReader.read(out.bytes()).pages).hasSize(flushed.pages.size());
        m.close();
        OggReader r = OggReader.read(out.bytes());
        OggReader.Page last = r.pages.get(r.pages.size() - 1);
        assertThat(last.eos()).isTrue();
        assertThat(last.lacing()).containsExactly(60);
        assertThat(last.granule()).isEqualTo(5 * 960L);
        assertThat(r.packets).hasSize(2 + 5);
    }

    @Test
    void closedWithoutAudio_endsAfterTheCommentHeader() throws IOException {
        MemoryOutput out = new MemoryOutput();
        OggOpusMuxer m = new OggOpusMuxer(out, 1);
        m.addTrack(STEREO);
        m.close();
        m.close();
        OggReader r = OggReader.read(out.bytes());
        assertThat(r.pages).hasSize(2);
        assertThat(r.pages.get(0).bos()).isTrue();
        assertThat(r.pages.get(1).eos()).isTrue();
        assertThat(r.pages).allMatch(OggReader.Page::crcOk);
    }

    @Test
    void sameInput_sameBytes_andSerialIsInjected() throws IOException {
        List<byte[]> in = packets(60, 120);
        byte[] a = mux(new MemoryOutput(), 42, in, null);
        byte[] b = mux(new MemoryOutput(), 42, in, null);
        byte[] c = mux(new MemoryOutput(), 43, in, null);
        assertThat(a).isEqualTo(b);
        assertThat(Arrays.equals(a, c)).isFalse();
        assertThat(OggReader.read(c).pages).allMatch(p -> p.serial() == 43 && p.crcOk());
    }

    @Test
    void shortWrites_giveTheSameBytes() throws IOException {
        List<byte[]> in = packets(80, 200);
        byte[] whole = mux(new MemoryOutput(), 9, in, null);
        byte[] dribbled = mux(new MemoryOutput().maxPerWrite(7), 9, in, null);
        assertThat(dribbled).isEqualTo(whole);
    }

    @Test
    void ioExceptionFromTheOutput_propagates_andCloseStaysIdempotent() throws IOException {
        OggOpusMuxer m = new OggOpusMuxer(new MemoryOutput().failAfter(3000), 1);
        m.addTrack(STEREO);
        EncodedFrame f = new EncodedFrame(64);
        assertThatThrownBy(() -> {
            for (int i = 0; i < 500; i++) {
                m.write(0, f.set(packet(200, i), 0, 200).ptsMicros(i * 20_000L));
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("injected");
    }

    @Test
    void tableCrc_matchesLiboggPages() throws IOException {
        // pages written by libogg (via ffmpeg) carry CRCs our table-driven CRC must reproduce
        byte[] page = HexFormatHolder.LIBOGG_PAGE.clone();
        int stored = (page[22] & 0xFF) | (page[23] & 0xFF) << 8 | (page[24] & 0xFF) << 16 | (page[25] & 0xFF) << 24;
        page[22] = page[23] = page[24] = page[25] = 0;
        assertThat(OggCrc.of(page, 0, page.length)).isEqualTo(stored);
    }

    @Test
    void wrongUse_isRejected() {
        OggOpusMuxer m = new OggOpusMuxer(new MemoryOutput(), 1);
        assertThatThrownBy(() -> m.addTrack(TrackFormat.audio(Codec.AAC, 48000, 48000, 2, null)))
                .isInstanceOf(IllegalArgumentException.class);
        m.addTrack(STEREO);
        assertThatThrownBy(() -> m.addTrack(STEREO)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.write(1, EncodedFrame.of(1, packet(10, 1), 0, 0, true)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** The first page of an Ogg Opus file written by libogg (ffmpeg 5.1 -c:a libopus -f ogg). */
    static final class HexFormatHolder {
        static final byte[] LIBOGG_PAGE = java.util.HexFormat.of().parseHex(
                "4f67675300020000000000000000c85a07bd000000004cc5fefe01134f707573486561640101380180bb0000000000");
    }
}
