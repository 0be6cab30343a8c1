package io.capstan.session.hooks;

import io.capstan.session.RecordingEvent;
import io.capstan.session.RecordingListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;

/**
 * A {@link RecordingListener} that passes every event on to {@code next} and, for every
 * {@link RecordingEvent.SegmentClosed}, calls each {@link SegmentHook} with the session's stream name:
 *
 * <pre>{@code
 * CommandHook command = CommandHook.builder(List.of("/usr/local/bin/on-segment")).build();
 * MetadataReporter index = MetadataReporter.builder(URI.create("http://index:8080/segments")).nodeAlias("rec-1").build();
 * RecordingSession session = RecordingSession.builder()
 *         .stream("camera1")
 *         .listener(SegmentHooks.of("camera1", myListener, command, index))
 *         ...
 * }</pre>
 * The hooks only queue work (their threads do it), so the session's lane never waits on a command or the network.
 */
public final class SegmentHooks implements RecordingListener {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentHooks.class);

    private final String stream;
    private final RecordingListener next;
    private final List<SegmentHook> hooks;

    private SegmentHooks(String stream, RecordingListener next, List<SegmentHook> hooks) {
        this.stream = Objects.requireNonNull(stream, "stream");
        this.next = Objects.requireNonNull(next, "next");
        this.hooks = List.copyOf(hooks);
    }

    /** A listener for the session of {@code stream} that runs {@code hooks} and then passes events to {@code next}. */
    public static SegmentHooks of(String stream, RecordingListener next, SegmentHook... hooks) {
        return new SegmentHooks(stream, next, List.of(hooks));
    }

    public static SegmentHooks of(String stream, RecordingListener next, List<? extends SegmentHook> hooks) {
        return new SegmentHooks(stream, next, List.copyOf(hooks));
    }

    @Override
    public void onEvent(RecordingEvent event) {
        if (event instanceof RecordingEvent.SegmentClosed c) {
            for (SegmentHook h : hooks) {
                try {
                    h.segmentClosed(stream, c.segment());
                } catch (RuntimeException e) {
                    LOG.warn("segment hook {} threw for {}: {}", h.getClass().getSimpleName(), c.segment().location(),
                            e.toString());
                }
            }
        }
        next.onEvent(event);
    }
}
