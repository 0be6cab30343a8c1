package io.capstan.mux.mp4;

import io.capstan.mux.common.FileChannelOutput;
import io.capstan.storage.SeekableOutput;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Finalizes an MP4 left behind by a recording that did not stop normally (a killed process, a full disk, a crash
 * during finalization): the fragmented file {@link Mp4Muxer} writes while recording.
 *
 * <p>It keeps every complete fragment (a moof, or a moof placeholder, followed by an mdat holding all its
 * samples), cuts off what follows (a half-written fragment, a half-written final moov), and then finalizes the
 * file with exactly the code {@code Mp4Muxer.close()} runs: the result is a progressive, moov-first file (or
 * moov at the end when the index does not fit the reserve). A file that is already finalized is left as it is.
 * Recovering twice gives the same file.
 */
public final class Mp4Recovery {

    /**
     * @param alreadyFinalized the file was a finished progressive MP4; nothing was changed
     * @param fragments        complete fragments kept
     * @param samples          samples indexed (all tracks)
     * @param truncatedBytes   bytes cut off the end
     * @param moovAtEnd        the index did not fit the reserve and follows the media
     * @param fileSize         size of the recovered file
     */
    public record Result(boolean alreadyFinalized, int fragments, long samples, long truncatedBytes,
                         boolean moovAtEnd, long fileSize) {
    }

    private Mp4Recovery() {
    }

    /** Recovers the file behind {@code file} in place. */
    public static Result recover(SeekableOutput file) throws IOException {
        return recover(file, InstantSource.system());
    }

    /** As {@link #recover(SeekableOutput)}, with the clock that sets the modification time. */
    public static Result recover(SeekableOutput file, InstantSource clock) throws IOException {
        Objects.requireNonNull(file, "file");
        Mp4Finalizer.Result r = Mp4Finalizer.finalizeFile(file, clock, true);
        return new Result(r.alreadyFinal(), r.fragments(), r.samples(), r.truncatedBytes(), r.moovAtEnd(),
                r.fileSize());
    }

    /** Recovers a file on disk in place. */
    public static Result recover(Path path) throws IOException {
        try (FileChannelOutput out = FileChannelOutput.open(path)) {
            return recover(out);
        }
    }
}
