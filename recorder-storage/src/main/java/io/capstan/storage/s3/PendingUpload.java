package io.capstan.storage.s3;

/**
 * An object the sink has not uploaded yet, for reports.
 *
 * @param key the object key
 * @param localFile the spool file it will be uploaded from
 * @param bytes its size so far
 * @param state {@code writing} (the muxer still writes it), {@code uploading}, {@code retrying} or {@code failed}
 * @param lastError the last error (credentials redacted), or null
 */
public record PendingUpload(String key, String localFile, long bytes, String state, String lastError) {
}
