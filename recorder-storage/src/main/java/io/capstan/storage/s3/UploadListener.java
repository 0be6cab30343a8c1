package io.capstan.storage.s3;

/**
 * Receives {@link UploadEvent}s from an {@link S3Sink}, on an upload thread (or the thread that opened an output,
 * for {@link UploadEvent.SpoolFull}). Must be quick and must not throw; a throwing listener is logged and ignored.
 */
@FunctionalInterface
public interface UploadListener {

    void onEvent(UploadEvent event);
}
