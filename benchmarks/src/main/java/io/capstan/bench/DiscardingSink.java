package io.capstan.bench;

import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SeekableOutput;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.StorageSink;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link StorageSink} whose segments (and groups' objects) are {@link DiscardingOutput}s: counts bytes, stores nothing. */
final class DiscardingSink implements StorageSink {

    final AtomicLong segments = new AtomicLong();
    final AtomicLong committedBytes = new AtomicLong();

    @Override
    public SegmentOutput open(SegmentKey key, boolean seekable) {
        segments.incrementAndGet();
        return new Segment(key);
    }

    /** A group whose objects are discarded like segments; manifests replaced in it are counted, not kept. */
    @Override
    public ObjectGroup openGroup(SegmentKey key) {
        String prefix = key.path().replaceFirst("\\.[^./]*$", "");
        return new ObjectGroup() {
            @Override
            public String prefix() {
                return prefix;
            }

            @Override
            public SegmentOutput create(String name) {
                return open(new SegmentKey(prefix + "/" + name), false);
            }

            @Override
            public void replace(String name, ByteBuffer content) {
                committedBytes.addAndGet(content.remaining());
                content.position(content.limit());
            }

            @Override
            public String location(String name) {
                return "discard:" + prefix + "/" + name;
            }
        };
    }

    @Override
    public String describe() {
        return "discarding sink (benchmark)";
    }

    private final class Segment implements SegmentOutput {
        private final SegmentKey key;
        private final DiscardingOutput out = new DiscardingOutput();
        private final Optional<SeekableOutput> seekable = Optional.of(out);

        Segment(SegmentKey key) {
            this.key = key;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return out.write(src);
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
            out.close();
        }

        @Override
        public Optional<SeekableOutput> seekable() {
            return seekable;
        }

        @Override
        public void commit() {
            committedBytes.addAndGet(out.size());
            out.close();
        }

        @Override
        public void abort() {
            out.close();
        }

        @Override
        public String location() {
            return "discard:" + key.path();
        }

        @Override
        public long bytesWritten() {
            return out.size();
        }
    }
}
