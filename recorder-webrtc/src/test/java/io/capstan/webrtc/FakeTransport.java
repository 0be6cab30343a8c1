package io.capstan.webrtc;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A transport that opens no socket: tests play the network through the captured sink. */
final class FakeTransport implements WebRtcTransport {

    final List<FakeHandle> started = new CopyOnWriteArrayList<>();
    volatile boolean fail;

    final AtomicInteger cancelled = new AtomicInteger();

    @Override
    public Pending prepare() {
        IceCredentials local = IceCredentials.random();
        return new Pending() {
            @Override
            public IceCredentials localIce() {
                return local;
            }

            @Override
            public boolean iceLite() {
                return true;
            }

            @Override
            public Handle start(Negotiation negotiation, RtpSink sink) throws IOException {
                if (fail) {
                    throw new IOException("no UDP port free");
                }
                FakeHandle h = new FakeHandle(negotiation, sink);
                started.add(h);
                return h;
            }

            @Override
            public void cancel() {
                cancelled.incrementAndGet();
            }
        };
    }

    static final class FakeHandle implements WebRtcTransport.Handle {
        final Negotiation negotiation;
        final RtpSink sink;
        final AtomicBoolean closed = new AtomicBoolean();
        final List<String> candidates = new CopyOnWriteArrayList<>();
        final List<Long> keyframeRequests = new CopyOnWriteArrayList<>();

        FakeHandle(Negotiation negotiation, RtpSink sink) {
            this.negotiation = negotiation;
            this.sink = sink;
        }

        @Override
        public void requestKeyframe(long mediaSsrc) {
            keyframeRequests.add(mediaSsrc);
        }

        @Override
        public void remoteCandidates(List<String> c) {
            candidates.addAll(c);
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }
}
