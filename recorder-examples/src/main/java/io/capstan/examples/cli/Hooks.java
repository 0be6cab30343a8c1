package io.capstan.examples.cli;

import io.capstan.session.hooks.CommandHook;
import io.capstan.session.hooks.HookEvent;
import io.capstan.session.hooks.HookListener;
import io.capstan.session.hooks.MetadataReporter;
import io.capstan.session.hooks.SegmentHook;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The per-segment hooks of {@code convert} and {@code listen}: {@code --hook COMMAND} (or {@code RECORD_HOOK}),
 * {@code --metadata-url URL} ({@code RECORD_METADATA_URL}) and {@code --node-alias NAME}
 * ({@code RECORD_NODE_ALIAS}); a flag wins over its variable. The command is split on whitespace into a program
 * and its arguments (no shell: use a script for anything fancier); the stream name and the file's absolute path
 * are appended as two more arguments.
 */
final class Hooks implements AutoCloseable {

    static final String ENV_HOOK = "RECORD_HOOK";
    static final String ENV_METADATA_URL = "RECORD_METADATA_URL";
    static final String ENV_NODE_ALIAS = "RECORD_NODE_ALIAS";

    final List<SegmentHook> hooks = new ArrayList<>();
    private CommandHook command;
    private MetadataReporter reporter;
    private final Duration commandTimeout;

    private Hooks(Duration commandTimeout) {
        this.commandTimeout = commandTimeout;
    }

    static Hooks from(Map<String, String> opts, Map<String, String> env, PrintStream log) throws CliException {
        String hook = setting(opts, "--hook", env, ENV_HOOK);
        String url = setting(opts, "--metadata-url", env, ENV_METADATA_URL);
        String alias = setting(opts, "--node-alias", env, ENV_NODE_ALIAS);
        Duration timeout = opts.containsKey("--hook-timeout") ? CapstanCli.parseDuration(opts.get("--hook-timeout"))
                : Duration.ofSeconds(30);
        if (timeout.isZero() || timeout.isNegative()) {
            throw new CliException(2, "--hook-timeout must be positive");
        }
        Hooks h = new Hooks(timeout);
        HookListener listener = e -> report(e, log);
        if (hook != null) {
            List<String> cmd = Arrays.stream(hook.strip().split("\\s+")).filter(s -> !s.isEmpty()).toList();
            if (cmd.isEmpty()) {
                throw new CliException(2, "--hook needs a command");
            }
            h.command = CommandHook.builder(cmd).timeout(timeout).listener(listener).build();
            h.hooks.add(h.command);
        }
        if (url != null) {
            try {
                h.reporter = MetadataReporter.builder(URI.create(url)).nodeAlias(alias).listener(listener).build();
            } catch (IllegalArgumentException e) {
                h.close();
                throw new CliException(2, "bad --metadata-url '" + url + "': " + e.getMessage());
            }
            h.hooks.add(h.reporter);
        }
        return h;
    }

    /** The flag's value, else the environment variable's; blank counts as unset. */
    static String setting(Map<String, String> opts, String flag, Map<String, String> env, String variable) {
        String v = opts.get(flag);
        if (v == null || v.isBlank()) {
            v = env.get(variable);
        }
        return v == null || v.isBlank() ? null : v;
    }

    private static void report(HookEvent e, PrintStream log) {
        if (e instanceof HookEvent.CommandFailed f) {
            log.println("capstan: warning: hook for " + f.location() + " failed: " + f.reason()
                    + (f.output().isEmpty() ? "" : "; output: " + f.output()));
        } else if (e instanceof HookEvent.ReportFailed f) {
            log.println("capstan: warning: metadata report for " + f.location() + " failed after " + f.attempts()
                    + " attempt(s): " + f.reason());
        } else if (e instanceof HookEvent.Dropped d) {
            log.println("capstan: warning: " + d.hook() + " hook queue full, " + d.location() + " skipped ("
                    + d.droppedTotal() + " so far)");
        } else if (e instanceof HookEvent.CommandSucceeded s && !s.output().isEmpty()) {
            log.println("capstan: hook for " + s.location() + ": " + s.output());
        }
    }

    /** Lets queued hooks finish (each bounded by its own timeout), then stops them. */
    @Override
    public void close() {
        if (command != null) {
            command.close(commandTimeout.plusSeconds(1));
        }
        if (reporter != null) {
            reporter.close();
        }
    }
}
