/**
 * S3-compatible object storage (AWS S3, MinIO, Alibaba OSS's S3 endpoint, ...) behind the {@link
 * io.capstan.storage.StorageSink} SPI. {@link io.capstan.storage.s3.S3Sink} writes every segment to a local spool
 * file first (the muxing thread never touches the network) and uploads it from a bounded pool of its own, with a
 * durable record per pending upload so that a restart resumes what was not yet confirmed by the store.
 *
 * <pre>
 * spool/                                  the sink's local root (the CLI's --out)
 *   demo/demo_20261121T101500Z.webm.part  being written (a FileSystemSink underneath)
 *   demo/demo_20261121T101500Z.webm       committed, uploading or uploaded (deleted once confirmed, if asked)
 *   .capstan-uploads/
 *     3f2a....upload                      one record per pending upload (java.util.Properties, written
 *                                         temp + fsync + atomic rename): object key, local file, state,
 *                                         multipart upload id and the parts the store has confirmed;
 *                                         keyDecided=false while the object key is the requested one, not
 *                                         yet checked against the bucket (a resumed record settles it
 *                                         before its first request; a settled key is never changed)
 * </pre>
 */
package io.capstan.storage.s3;
