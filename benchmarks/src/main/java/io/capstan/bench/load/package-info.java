/**
 * The concurrency load test (issue 7, part 2; run it with {@code benchmarks/load/run.sh}): {@link
 * io.capstan.bench.load.LoadTest} starts N live recording sessions and feeds each one a looped ~2 Mbit/s VP8 + Opus
 * capture at real-time pace, in-process or over loopback UDP, and reports CPU, heap, GC pauses, late datagrams and
 * dropped frames per N, or the heap over a soak. {@code LoadCapture} holds the capture, {@code Feeder} replays it,
 * {@code Metrics} measures the process and {@code Report} writes the tables and plots.
 */
package io.capstan.bench.load;
