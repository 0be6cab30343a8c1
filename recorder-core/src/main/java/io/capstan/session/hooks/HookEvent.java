package io.capstan.session.hooks;

import java.time.Duration;

/**
 * What the hooks report, delivered to a {@link HookListener} on the hook's own thread (never the session's
 * lane). Failures are events, never exceptions: a hook that fails or hangs does not affect the recording.
 */
public sealed interface HookEvent {

    /** The stream whose segment the event is about. */
    String stream();

    /** The segment's location (path or URI). */
    String location();

    /** The command exited with 0. {@code output} is the start of what it printed (stdout and stderr, capped). */
    record CommandSucceeded(String stream, String location, Duration took, String output) implements HookEvent {
    }

    /**
     * The command failed: it exited non-zero ({@code exitCode}), was killed at its timeout ({@code timedOut},
     * exit code -1), or could not be started (exit code -1, {@code reason} says why).
     */
    record CommandFailed(String stream, String location, int exitCode, boolean timedOut, Duration took,
                         String reason, String output) implements HookEvent {
    }

    /** The metadata receiver accepted the segment's JSON (a 2xx answer) after {@code attempts} requests. */
    record ReportDelivered(String stream, String location, int attempts, int status) implements HookEvent {
    }

    /**
     * The metadata receiver did not accept the JSON: {@code attempts} requests failed (last {@code status}, -1
     * when no answer), or the receiver refused it with a 4xx that retrying cannot fix.
     */
    record ReportFailed(String stream, String location, int attempts, int status, String reason) implements HookEvent {
    }

    /**
     * A hook's queue was full and the work for this segment was dropped (never silently): {@code droppedTotal}
     * counts the drops of that hook so far. {@code hook} is {@code "command"} or {@code "metadata"}.
     */
    record Dropped(String stream, String location, String hook, long droppedTotal) implements HookEvent {
    }
}
