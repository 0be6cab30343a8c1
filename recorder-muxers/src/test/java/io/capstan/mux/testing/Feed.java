package io.capstan.mux.testing;

import io.capstan.media.EncodedFrame;
import io.capstan.mux.Muxer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Feeds test frames to a muxer the way a session does: one pooled frame object, tracks interleaved by pts. */
public final class Feed {

    private Feed() {
    }

    public record Item(int track, TestMedia.Frame frame) {
    }

    /** Interleaves the tracks' frames by pts (stable: equal pts keep track order). */
    @SafeVarargs
    public static List<Item> interleave(List<TestMedia.Frame>... tracks) {
        List<Item> all = new ArrayList<>();
        for (int t = 0; t < tracks.length; t++) {
            for (TestMedia.Frame f : tracks[t]) {
                all.add(new Item(t, f));
            }
        }
        all.sort(Comparator.comparingLong((Item i) -> i.frame().ptsMicros()).thenComparingInt(Item::track));
        return all;
    }

    /** Writes every item through ONE reused EncodedFrame, which is scribbled over after each write. */
    public static void write(Muxer m, List<Item> items) throws IOException {
        EncodedFrame pooled = new EncodedFrame(1024);
        for (Item it : items) {
            TestMedia.Frame f = it.frame();
            pooled.set(f.data(), 0, f.data().length).track(it.track()).ptsMicros(f.ptsMicros())
                    .rtpTimestamp(f.ptsMicros() * 90 / 1000).keyframe(f.key());
            m.write(it.track(), pooled);
            java.util.Arrays.fill(pooled.array(), (byte) 0x5A); // the muxer must not have kept it
        }
    }

    /**
     * Like {@link #write(Muxer, List)} but with each track's RTP timestamp in its own clock ({@code clockRates[track]},
     * e.g. 90000 for video, 48000 for Opus), as depacketizers deliver them.
     */
    public static void write(Muxer m, List<Item> items, int... clockRates) throws IOException {
        EncodedFrame pooled = new EncodedFrame(1024);
        for (Item it : items) {
            TestMedia.Frame f = it.frame();
            long rtp = Math.floorDiv(f.ptsMicros() * clockRates[it.track()] + 500_000, 1_000_000);
            pooled.set(f.data(), 0, f.data().length).track(it.track()).ptsMicros(f.ptsMicros())
                    .rtpTimestamp(rtp).keyframe(f.key());
            m.write(it.track(), pooled);
            java.util.Arrays.fill(pooled.array(), (byte) 0x5A); // the muxer must not have kept it
        }
    }

    public static void write(Muxer m, int track, List<TestMedia.Frame> frames) throws IOException {
        write(m, interleave(frames).stream().map(i -> new Item(track, i.frame())).toList());
    }

    /** With -Dcapstan.keepMedia=DIR, copies a test output there for a look with other tools. */
    public static void keep(Path file) throws IOException {
        String dir = System.getProperty("capstan.keepMedia");
        if (dir != null && !dir.isBlank()) {
            Files.createDirectories(Path.of(dir));
            Files.copy(file, Path.of(dir, file.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
