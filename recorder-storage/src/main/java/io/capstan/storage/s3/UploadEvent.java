package io.capstan.storage.s3;

import java.time.Duration;

/**
 * What the upload of one object went through. {@code key} is the full object key (prefix + segment key). No event
 * ever carries credentials: reasons are scrubbed with {@link S3Credentials#redact}.
 */
public sealed interface UploadEvent {

    /** The object key in the bucket. */
    String key();

    /** The first request for this object was sent ({@code multipart}: parts are uploaded while recording or after). */
    record Started(String key, boolean multipart) implements UploadEvent {
    }

    /**
     * The store confirmed the whole object (PutObject or CompleteMultipartUpload succeeded and a HEAD saw its size).
     *
     * @param sha256 hex SHA-256 of the object's bytes (the local spool file it was uploaded from)
     * @param location {@code s3://bucket/key}
     * @param localFileDeleted whether the local file was removed (deleteAfterUpload)
     */
    record Uploaded(String key, long bytes, String sha256, String location, boolean localFileDeleted)
            implements UploadEvent {
    }

    /** A request failed with a transient error (5xx, throttling, connection trouble); it is tried again after {@code delay}. */
    record Retrying(String key, int attempt, Duration delay, String reason) implements UploadEvent {
    }

    /**
     * The object was not uploaded: a permanent error (access denied, no such bucket...), the sink closed or gave up
     * while it was still pending, or the recording was interrupted before it was committed. The local file is kept
     * and, unless it was never committed, its record stays in the spool so a later run resumes it.
     */
    record Failed(String key, String reason, String localFile) implements UploadEvent {
    }

    /** A new output was refused because the spool holds {@code spoolBytes} (limit {@code limitBytes}), or the disk was full. */
    record SpoolFull(String key, long spoolBytes, long limitBytes, String reason) implements UploadEvent {
    }
}
