package io.capstan.session.hooks;

import io.capstan.media.Codec;
import io.capstan.media.TrackFormat;
import io.capstan.mux.Container;
import io.capstan.session.SegmentInfo;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Shared bits of the hook tests: a segment and a listener that waits for events. */
final class HookTesting {

    static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");

    private HookTesting() {
    }

    static SegmentInfo segment(String location) {
        return new SegmentInfo(location, "cam/cam_20261121T100000Z.webm", Container.WEBM, List.of("video", "audio"),
                List.of(TrackFormat.video(Codec.VP8, 320, 240, null), TrackFormat.audio(Codec.OPUS, 48000, 48000, 2, null)),
                1_500_000, 2_000_000, T0, List.of(60L, 100L), 123_456, true, List.of(0L, 1_000_000L));
    }

    /** Collects events; {@link #next} waits for the next one (bounded). */
    static final class Events implements HookListener {
        final LinkedBlockingQueue<HookEvent> queue = new LinkedBlockingQueue<>();
        final List<HookEvent> all = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onHookEvent(HookEvent e) {
            all.add(e);
            queue.add(e);
        }

        HookEvent next(Duration max) throws InterruptedException {
            HookEvent e = queue.poll(max.toMillis(), TimeUnit.MILLISECONDS);
            if (e == null) {
                throw new AssertionError("no hook event within " + max.toMillis() + " ms; so far: " + all);
            }
            return e;
        }
    }
}
