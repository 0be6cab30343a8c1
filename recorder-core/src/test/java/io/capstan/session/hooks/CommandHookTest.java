package io.capstan.session.hooks;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class CommandHookTest {

    @TempDir
    Path dir;
    private final HookTesting.Events events = new HookTesting.Events();
    private final List<CommandHook> hooks = new ArrayList<>();

    @AfterEach
    void close() {
        hooks.forEach(h -> h.close(Duration.ofSeconds(2)));
    }

    private CommandHook hook(Duration timeout, String... cmd) {
        CommandHook h = CommandHook.builder(List.of(cmd)).timeout(timeout).listener(events).threads(1)
                .queueCapacity(2).build();
        hooks.add(h);
        return h;
    }

    @Test
    void success_getsStreamAndAbsolutePathAsSeparateArguments_noShellInterpolation() throws Exception {
        Path marker = dir.resolve("injected");
        CommandHook h = hook(Duration.ofSeconds(10), "sh", "-c", "printf '%s|%s' \"$0\" \"$1\"");
        String evil = "cam; touch " + marker + " $(touch " + marker + ")";
        h.segmentClosed(evil, HookTesting.segment("rel/dir/../a.webm"));
        HookEvent e = events.next(Duration.ofSeconds(10));
        assertThat(e).isInstanceOf(HookEvent.CommandSucceeded.class);
        HookEvent.CommandSucceeded ok = (HookEvent.CommandSucceeded) e;
        String abs = Path.of("rel/a.webm").toAbsolutePath().toString();
        assertThat(ok.output()).isEqualTo(evil + "|" + abs);
        assertThat(ok.stream()).isEqualTo(evil);
        assertThat(Files.exists(marker)).as("nothing was interpolated by a shell").isFalse();
    }

    @Test
    void nonZeroExit_isReportedWithItsOutput() throws Exception {
        CommandHook h = hook(Duration.ofSeconds(10), "sh", "-c", "echo boom >&2; exit 3");
        h.segmentClosed("cam", HookTesting.segment("/tmp/a.webm"));
        HookEvent.CommandFailed f = (HookEvent.CommandFailed) events.next(Duration.ofSeconds(10));
        assertThat(f.exitCode()).isEqualTo(3);
        assertThat(f.timedOut()).isFalse();
        assertThat(f.output()).isEqualTo("boom");
        assertThat(f.reason()).contains("exited with 3");
    }

    @Test
    void hangingCommand_isKilledAtItsTimeout_andReported() throws Exception {
        Path pidFile = dir.resolve("pid");
        CommandHook h = hook(Duration.ofMillis(400), "sh", "-c", "echo started; sleep 60 & echo $! > " + pidFile
                + "; wait");
        long t0 = System.nanoTime();
        h.segmentClosed("cam", HookTesting.segment("/tmp/a.webm"));
        HookEvent.CommandFailed f = (HookEvent.CommandFailed) events.next(Duration.ofSeconds(10));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(f.timedOut()).isTrue();
        assertThat(f.exitCode()).isEqualTo(-1);
        assertThat(f.reason()).contains("timeout of 400 ms");
        assertThat(f.output()).contains("started");
        assertThat(ms).isBetween(350L, 6000L);
        // the command's child (sleep) was killed with it
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        long end = System.nanoTime() + 5_000_000_000L;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void missingProgram_isReported() throws Exception {
        CommandHook h = hook(Duration.ofSeconds(5), dir.resolve("no-such-program").toString());
        h.segmentClosed("cam", HookTesting.segment("/tmp/a.webm"));
        HookEvent.CommandFailed f = (HookEvent.CommandFailed) events.next(Duration.ofSeconds(10));
        assertThat(f.reason()).startsWith("cannot start");
    }

    @Test
    void fullQueue_dropsAndCountsNeverBlocks() throws Exception {
        CommandHook h = hook(Duration.ofSeconds(2), "sh", "-c", "sleep 5");
        long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            h.segmentClosed("cam", HookTesting.segment("/tmp/" + i + ".webm"));
        }
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(500);
        // one running, two queued, two dropped
        HookEvent.Dropped d1 = (HookEvent.Dropped) events.next(Duration.ofSeconds(2));
        HookEvent.Dropped d2 = (HookEvent.Dropped) events.next(Duration.ofSeconds(2));
        assertThat(d1.droppedTotal()).isEqualTo(1);
        assertThat(d2.droppedTotal()).isEqualTo(2);
        assertThat(d2.hook()).isEqualTo("command");
        assertThat(h.dropped()).isEqualTo(2);
        assertThat(h.close(Duration.ofMillis(100))).isFalse(); // still running: killed
    }

    @Test
    void outputIsCapped() throws Exception {
        CommandHook h = CommandHook.builder(List.of("sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"))
                .maxOutputBytes(1000).listener(events).build();
        hooks.add(h);
        h.segmentClosed("cam", HookTesting.segment("/tmp/a.webm"));
        HookEvent.CommandSucceeded ok = (HookEvent.CommandSucceeded) events.next(Duration.ofSeconds(10));
        assertThat(ok.output()).startsWith("x".repeat(1000)).endsWith("(99000 more bytes)");
    }
}
