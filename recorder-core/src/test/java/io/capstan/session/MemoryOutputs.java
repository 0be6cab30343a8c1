package io.capstan.session;

import io.capstan.media.Codec;
import io.capstan.media.EncodedFrame;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Container;
import io.capstan.mux.Muxer;
import io.capstan.mux.MuxerFactory;
import io.capstan.storage.SeekableOutput;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.StorageSink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** In-memory sink and a recording muxer for session tests, with fault injection. */
final class MemoryOutputs {

    /** What the muxer saw, per frame: "track:ptsMicros:key:len". */
    final List<String> written = Collections.synchronizedList(new ArrayList<>());
    final List<TrackFormat> tracks = Collections.synchronizedList(new ArrayList<>());
    final List<String> committed = Collections.synchronizedList(new ArrayList<>());
    final List<String> aborted = Collections.synchronizedList(new ArrayList<>());
    volatile int failAfterFrames = -1;
    /** Whether outputs can be committed under another key ({@link SegmentOutput#commit(SegmentKey)}). */
    volatile boolean renames;
    volatile long writeDelayMillis;
    /** What {@code Muxer.formatChanged} answers (true: carried in the file). */
    volatile boolean carryFormatChanges = true;
    /** Format changes the muxer was told about: "track:WxH". */
    final List<String> formatChanges = Collections.synchronizedList(new ArrayList<>());
    /** Per muxer created (one per segment): what it saw, as in {@link #written}. */
    final List<List<String>> perSegment = Collections.synchronizedList(new ArrayList<>());

    StorageSink sink() {
        return new StorageSink() {
            @Override
            public SegmentOutput open(SegmentKey key, boolean seekable) {
                return new SegmentOutput() {
                    long n;
                    SegmentKey at = key;

                    @Override
                    public Optional<SeekableOutput> seekable() {
                        return Optional.empty();
                    }

                    @Override
                    public void commit() {
                        committed.add(key.path());
                    }

                    @Override
                    public void commit(SegmentKey finalKey) throws IOException {
                        if (!renames) {
                            SegmentOutput.super.commit(finalKey);
                        }
                        at = finalKey;
                        committed.add(finalKey.path());
                    }

                    @Override
                    public void abort() {
                        aborted.add(key.path());
                    }

                    @Override
                    public String location() {
                        return "mem:" + at.path();
                    }

                    @Override
                    public long bytesWritten() {
                        return n;
                    }

                    @Override
                    public int write(ByteBuffer src) {
                        int r = src.remaining();
                        src.position(src.limit());
                        n += r;
                        return r;
                    }

                    @Override
                    public boolean isOpen() {
                        return true;
                    }

                    @Override
                    public void close() {
                    }
                };
            }

            @Override
            public String describe() {
                return "memory";
            }
        };
    }

    MuxerFactory.Streaming factory() {
        return new MuxerFactory.Streaming() {
            @Override
            public Container container() {
                return Container.MKV;
            }

            @Override
            public String rejectReason(List<Codec> codecs) {
                return codecs.contains(Codec.PCMA) ? "test muxer refuses PCMA" : null;
            }

            @Override
            public String extension(List<Codec> codecs) {
                return "bin";
            }

            @Override
            public Muxer create(WritableByteChannel out) {
                List<String> mine = Collections.synchronizedList(new ArrayList<>());
                perSegment.add(mine);
                return new Muxer() {
                    long frames;
                    long bytes;

                    @Override
                    public int addTrack(TrackFormat format) {
                        tracks.add(format);
                        return tracks.size() - 1;
                    }

                    @Override
                    public void write(int track, EncodedFrame frame) throws IOException {
                        if (failAfterFrames >= 0 && frames >= failAfterFrames) {
                            throw new IOException("No space left on device");
                        }
                        if (writeDelayMillis > 0) {
                            try {
                                Thread.sleep(writeDelayMillis);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        out.write(ByteBuffer.wrap(frame.array(), 0, frame.length()));
                        frames++;
                        bytes += frame.length();
                        String w = track + ":" + frame.ptsMicros() + ":" + (frame.keyframe() ? "K" : "-") + ":"
                                + frame.length();
                        written.add(w);
                        mine.add(w);
                    }

                    @Override
                    public boolean formatChanged(int track, TrackFormat format) {
                        formatChanges.add(track + ":" + format.width() + "x" + format.height());
                        return carryFormatChanges;
                    }

                    @Override
                    public void close() {
                    }

                    @Override
                    public long bytesWritten() {
                        return bytes;
                    }

                    @Override
                    public long framesWritten() {
                        return frames;
                    }
                };
            }
        };
    }
}
