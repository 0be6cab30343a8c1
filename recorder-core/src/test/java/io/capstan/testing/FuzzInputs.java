package io.capstan.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared by the Jazzer fuzz targets (issue 7): the input layout of the packet-sequence targets and the place
 * their committed seed inputs live.
 *
 * <p>A packet sequence is {@code [u16 big-endian length][that many bytes]...}; the last record may be short (it is
 * then cut to what is there), so every byte string is a valid input and mutations stay meaningful.
 */
public final class FuzzInputs {

    /** Set to regenerate the committed seed inputs: {@code -Dcapstan.fuzz.writeSeeds=true}. */
    public static final String WRITE_SEEDS = "capstan.fuzz.writeSeeds";

    private FuzzInputs() {
    }

    /** The datagrams of a packet sequence starting at {@code from}. */
    public static List<byte[]> records(byte[] data, int from) {
        List<byte[]> out = new ArrayList<>();
        int p = from;
        while (p + 2 <= data.length) {
            int n = ((data[p] & 0xFF) << 8) | (data[p + 1] & 0xFF);
            p += 2;
            n = Math.min(n, data.length - p);
            byte[] r = new byte[n];
            System.arraycopy(data, p, r, 0, n);
            out.add(r);
            p += n;
        }
        return out;
    }

    /** Encodes datagrams as a packet sequence after {@code prefix}. */
    public static byte[] encode(byte[] prefix, List<byte[]> records) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(prefix);
        for (byte[] r : records) {
            o.write(r.length >>> 8);
            o.write(r.length);
            o.writeBytes(r);
        }
        return o.toByteArray();
    }

    /**
     * Writes one seed input of {@code testClass#method} (fully qualified class name) into the module's
     * {@code src/test/resources/<package>/<Class>Inputs/<method>/} (where Jazzer's regression mode reads them).
     */
    public static void writeSeed(String testClass, String method, String name, byte[] bytes) {
        int dot = testClass.lastIndexOf('.');
        Path dir = Path.of("src/test/resources", testClass.substring(0, dot).replace('.', '/'),
                testClass.substring(dot + 1) + "Inputs", method);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
