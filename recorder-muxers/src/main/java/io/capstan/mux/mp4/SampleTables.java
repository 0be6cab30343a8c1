package io.capstan.mux.mp4;

import io.capstan.mux.common.ByteBuilder;

import java.util.Arrays;

/**
 * The progressive sample tables of one track (ISO/IEC 14496-12 8.5-8.7), accumulated sample by sample in
 * primitive arrays and serialized as boxes. Built only when a file is finalized (from the fragments' {@code trun}
 * boxes read back from the file), never while recording.
 */
final class SampleTables {

    private int samples;
    private int[] sizes = new int[1024];
    // stts (8.6.1.2) run-length: sample_count, sample_delta
    private int[] sttsCount = new int[16];
    private int[] sttsDelta = new int[16];
    private int stts;
    // stss (8.6.2): sample numbers (1-based) of sync samples
    private int[] sync = new int[64];
    private int syncCount;
    // chunks (8.7.4 / 8.7.5): one per track run
    private long[] chunkOffsets = new long[64];
    private int[] chunkSamples = new int[64];
    private int chunks;
    private long duration;
    private boolean pendingLast;
    private long pendingDuration;

    void addChunk(long offset, int sampleCount) {
        if (chunks == chunkOffsets.length) {
            chunkOffsets = Arrays.copyOf(chunkOffsets, chunks * 2);
            chunkSamples = Arrays.copyOf(chunkSamples, chunks * 2);
        }
        chunkOffsets[chunks] = offset;
        chunkSamples[chunks] = sampleCount;
        chunks++;
    }

    /** Adds a sample; its duration may still grow (see {@link #extendLast}) until the next sample comes. */
    void addSample(int size, long sampleDuration, boolean isSync) {
        flushPending();
        if (samples == sizes.length) {
            sizes = Arrays.copyOf(sizes, samples * 2);
        }
        sizes[samples++] = size;
        if (isSync) {
            if (syncCount == sync.length) {
                sync = Arrays.copyOf(sync, syncCount * 2);
            }
            sync[syncCount++] = samples;
        }
        pendingLast = true;
        pendingDuration = sampleDuration;
    }

    /** A gap in the decode timeline (a later fragment's tfdt beyond the previous end) lengthens the last sample. */
    void extendLast(long ticks) {
        if (pendingLast && ticks > 0) {
            pendingDuration += ticks;
        }
    }

    private void flushPending() {
        if (!pendingLast) {
            return;
        }
        pendingLast = false;
        long d = Math.min(0xFFFFFFFFL, pendingDuration);
        duration += d;
        if (stts > 0 && sttsDelta[stts - 1] == (int) d) {
            sttsCount[stts - 1]++;
            return;
        }
        if (stts == sttsCount.length) {
            sttsCount = Arrays.copyOf(sttsCount, stts * 2);
            sttsDelta = Arrays.copyOf(sttsDelta, stts * 2);
        }
        sttsCount[stts] = 1;
        sttsDelta[stts] = (int) d;
        stts++;
    }

    int sampleCount() {
        return samples;
    }

    int chunkCount() {
        return chunks;
    }

    long chunkOffset(int i) {
        return chunkOffsets[i];
    }

    int sampleSize(int i) {
        return sizes[i];
    }

    /** Sum of the sample durations (media timescale). */
    long duration() {
        flushPending();
        return duration;
    }

    /** The stts, stss (only when some sample is not sync), stsc, stsz and stco/co64 boxes, in that order. */
    void write(ByteBuilder b, boolean video) {
        flushPending();
        // 8.6.1.2 TimeToSampleBox
        int at = Boxes.beginFull(b, Boxes.fourcc("stts"), 0, 0);
        b.uBE(stts, 4);
        for (int i = 0; i < stts; i++) {
            b.uBE(sttsCount[i], 4).uBE(sttsDelta[i] & 0xFFFFFFFFL, 4);
        }
        Boxes.end(b, at);
        // 8.6.2 SyncSampleBox: absent means every sample is a sync sample
        if (video && syncCount < samples) {
            at = Boxes.beginFull(b, Boxes.fourcc("stss"), 0, 0);
            b.uBE(syncCount, 4);
            for (int i = 0; i < syncCount; i++) {
                b.uBE(sync[i], 4);
            }
            Boxes.end(b, at);
        }
        // 8.7.4 SampleToChunkBox: first_chunk (1-based), samples_per_chunk, sample_description_index
        at = Boxes.beginFull(b, Boxes.fourcc("stsc"), 0, 0);
        int countAt = b.length();
        b.uBE(0, 4);
        int entries = 0;
        for (int i = 0; i < chunks; i++) {
            if (i == 0 || chunkSamples[i] != chunkSamples[i - 1]) {
                b.uBE(i + 1, 4).uBE(chunkSamples[i], 4).uBE(1, 4);
                entries++;
            }
        }
        b.putBE(countAt, entries, 4);
        Boxes.end(b, at);
        // 8.7.3.2 SampleSizeBox: sample_size 0 = a size per sample
        at = Boxes.beginFull(b, Boxes.fourcc("stsz"), 0, 0);
        b.uBE(0, 4).uBE(samples, 4);
        b.ensure(samples * 4);
        for (int i = 0; i < samples; i++) {
            b.uBE(sizes[i] & 0xFFFFFFFFL, 4);
        }
        Boxes.end(b, at);
        // 8.7.5 ChunkOffsetBox (stco, 32-bit) or ChunkLargeOffsetBox (co64) when an offset needs 64 bits
        boolean large = chunks > 0 && chunkOffsets[chunks - 1] > 0xFFFFFFFFL;
        at = Boxes.beginFull(b, Boxes.fourcc(large ? "co64" : "stco"), 0, 0);
        b.uBE(chunks, 4);
        b.ensure(chunks * (large ? 8 : 4));
        for (int i = 0; i < chunks; i++) {
            b.uBE(chunkOffsets[i], large ? 8 : 4);
        }
        Boxes.end(b, at);
    }

    /** Empty tables for an init segment (ISO/IEC 14496-12 8.8.1: samples live in the fragments). */
    static void writeEmpty(ByteBuilder b) {
        new SampleTables().write(b, false);
    }
}
