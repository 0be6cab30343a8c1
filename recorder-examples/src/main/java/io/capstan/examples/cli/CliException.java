package io.capstan.examples.cli;

/** A failure the CLI reports as one line on stderr, with an exit code. */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;
    final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }
}
