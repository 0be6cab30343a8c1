package io.capstan.sdp;

/** The text is not an SDP the recorder can use; the message names the line (1-based) where it went wrong. */
public class SdpException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int line;

    public SdpException(String message) {
        this(message, 0);
    }

    public SdpException(String message, int line) {
        super(line > 0 ? "SDP line " + line + ": " + message : message);
        this.line = line;
    }

    /** The 1-based line the problem is on, or 0 when it concerns the whole description. */
    public int line() {
        return line;
    }
}
