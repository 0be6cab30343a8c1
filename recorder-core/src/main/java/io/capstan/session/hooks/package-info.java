/**
 * What runs after a segment closes, off the recording path: {@link io.capstan.session.hooks.SegmentHooks} turns a
 * session's {@code SegmentClosed} events into {@link io.capstan.session.hooks.SegmentHook} calls; a
 * {@link io.capstan.session.hooks.CommandHook} runs an external command per segment, a
 * {@link io.capstan.session.hooks.MetadataReporter} POSTs the segment's metadata as JSON to an index. Both run on
 * their own bounded threads, time out, and report failures as {@link io.capstan.session.hooks.HookEvent}s; neither
 * ever blocks the session's muxing lane.
 */
package io.capstan.session.hooks;
