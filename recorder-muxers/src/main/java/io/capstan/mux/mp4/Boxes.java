package io.capstan.mux.mp4;

import io.capstan.mux.common.ByteBuilder;
import org.mp4parser.Box;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * Box-level helpers shared by the MP4 writers: four-character codes as ints, hand-written box headers
 * (ISO/IEC 14496-12 4.2: {@code size(32) type(32) [largesize(64)]}; FullBox adds {@code version(8) flags(24)}),
 * and the bridge between isoparser boxes and bytes.
 */
final class Boxes {

    static final int FTYP = fourcc("ftyp");
    static final int MOOV = fourcc("moov");
    static final int MOOF = fourcc("moof");
    static final int MFHD = fourcc("mfhd");
    static final int TRAF = fourcc("traf");
    static final int TFHD = fourcc("tfhd");
    static final int TFDT = fourcc("tfdt");
    static final int TRUN = fourcc("trun");
    static final int MDAT = fourcc("mdat");
    static final int FREE = fourcc("free");
    static final int SKIP = fourcc("skip");
    static final int UUID = fourcc("uuid");
    static final int MVHD = fourcc("mvhd");
    static final int MVEX = fourcc("mvex");
    static final int MFRA = fourcc("mfra");

    private Boxes() {
    }

    static int fourcc(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }

    static String fourccString(int v) {
        return new String(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v},
                StandardCharsets.ISO_8859_1);
    }

    /** Starts a box (ISO/IEC 14496-12 4.2) with a 32-bit size to be patched by {@link #end}; returns its offset. */
    static int begin(ByteBuilder b, int type) {
        int at = b.length();
        b.uBE(0, 4).uBE(type, 4);
        return at;
    }

    /** Starts a FullBox (ISO/IEC 14496-12 4.2): box header, then version (8) and flags (24). */
    static int beginFull(ByteBuilder b, int type, int version, int flags) {
        int at = begin(b, type);
        b.u8(version).uBE(flags, 3);
        return at;
    }

    /** Patches the 32-bit size of the box begun at {@code at}. */
    static void end(ByteBuilder b, int at) {
        b.putBE(at, b.length() - at, 4);
    }

    /** The serialized bytes of an isoparser box. */
    static byte[] bytes(Box box) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE, box.getSize()));
        try (WritableByteChannel ch = Channels.newChannel(bos)) {
            box.getBox(ch);
        } catch (IOException e) {
            throw new IllegalStateException("serializing " + box.getType() + " in memory", e);
        }
        return bos.toByteArray();
    }

    /**
     * A box we serialize ourselves (e.g. {@code dOps}, {@code av1C}, the sample tables), placed into an isoparser
     * container: {@code bytes} is the whole box, header included.
     */
    static final class Raw implements Box {
        private final byte[] bytes;

        Raw(byte[] bytes) {
            this.bytes = bytes;
        }

        static Raw of(ByteBuilder b) {
            return new Raw(b.toByteArray());
        }

        @Override
        public String getType() {
            return fourccString(((bytes[4] & 0xFF) << 24) | ((bytes[5] & 0xFF) << 16) | ((bytes[6] & 0xFF) << 8)
                    | (bytes[7] & 0xFF));
        }

        @Override
        public long getSize() {
            return bytes.length;
        }

        @Override
        public void getBox(WritableByteChannel ch) throws IOException {
            ByteBuffer bb = ByteBuffer.wrap(bytes);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
        }
    }

    static int u32(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    static long u64(byte[] b, int at) {
        return (long) u32(b, at) << 32 | (u32(b, at + 4) & 0xFFFFFFFFL);
    }
}
