package io.capstan.storage.s3;

import io.capstan.storage.ObjectGroup;
import io.capstan.storage.SeekableOutput;
import io.capstan.storage.SegmentKey;
import io.capstan.storage.SegmentOutput;
import io.capstan.storage.StorageSink;
import io.capstan.storage.fs.FileSystemSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stores segments in an S3-compatible bucket (AWS S3, MinIO, Alibaba OSS's S3 endpoint, S3Proxy...) without ever
 * making the muxer wait for the network, and without losing a recording to an outage.
 *
 * <ul>
 * <li><b>Spool first.</b> {@link #open} returns an output over a local file under the spool directory (a
 * {@link FileSystemSink}: {@code NAME.part} while writing, {@code NAME} once committed). The muxing thread only
 * writes that file. Object key = {@code prefix + SegmentKey.path()}.</li>
 * <li><b>Upload while recording where the container allows.</b> An append-only output ({@code seekable=false}:
 * fragmented MP4, MPEG-TS, Ogg) starts a multipart upload as soon as one part ({@link Builder#partSize}, at least
 * 5 MiB) is written and uploads each further part as it fills; commit uploads the tail and completes. A seekable
 * output (MP4, WebM, IVF patch their headers) is uploaded after commit: one PutObject up to one part size,
 * multipart above.</li>
 * <li><b>No overwrites.</b> Like {@link FileSystemSink}, the sink never replaces an existing recording: before it
 * settles the object key of a new segment it asks the bucket (HeadObject) and skips keys that other pending uploads
 * of this sink hold; a taken key gets a {@code -1}, {@code -2}... suffix before the last dot of its file name
 * ({@code cam/rec.webm} → {@code cam/rec-1.webm}). An append-only output settles its key on the upload threads
 * before its first request (so the muxer never waits for the store); a seekable output at commit, with one quick
 * request on the committing thread, or, when the store does not answer at once, on the upload threads before the
 * upload. The settled key is saved in the spool record before anything is sent to it, and a resumed record keeps
 * it. {@link SegmentOutput#location()} names the key as far as it is settled: until then (an append-only output
 * right after open, any output while the store is unreachable) it names the requested key, and the
 * {@link UploadEvent.Uploaded} event names the final one. An object group reserves a prefix no object of the
 * bucket starts with ({@code ListObjectsV2}, {@code prefix/}, one key): {@code dash/show/} →
 * {@code dash/show-1/}; when the store is unreachable at {@link #openGroup} the prefix is reserved locally only
 * (logged), since the objects of a group must know their names at once.</li>
 * <li><b>Checksums on every request.</b> Every PutObject and UploadPart carries {@code Content-MD5}, which AWS,
 * MinIO, OSS and S3Proxy all verify; with {@link Builder#sha256Checksums} also the flexible
 * {@code x-amz-checksum-sha256} (AWS and MinIO verify and store it; S3Proxy and some other stores reject that
 * header, which is why it is not the default). The {@link UploadEvent.Uploaded} event carries the SHA-256 of the
 * whole object; a HEAD confirms its size before anything local is deleted.</li>
 * <li><b>Durable queue.</b> Each pending upload has a record in {@code SPOOL/.capstan-uploads/} (see the package
 * doc), rewritten atomically on every change; a new sink over the same spool resumes every committed record (the
 * acknowledged parts of a multipart upload are kept; a store that forgot the upload restarts it from the local
 * file). Records of recordings that were interrupted before commit are reported ({@link UploadEvent.Failed}),
 * their multipart uploads aborted, their local files kept.</li>
 * <li><b>Retries.</b> Transient errors (5xx, throttling, connection resets, timeouts, bad digests) are retried
 * with exponential backoff and full jitter ({@link Builder#backoff}) until {@link Builder#giveUpAfter}; the SDK's
 * own retries are off so this loop, which survives restarts, is in charge. Permanent errors (access denied, no
 * such bucket) fail at once. A failed object stays in the spool for the next run ({@code capstan upload}).</li>
 * <li><b>Bounded.</b> Uploads run on {@link Builder#uploadThreads} threads of their own; each holds at most one
 * part in memory. {@link Builder#maxSpoolBytes} bounds the spool: an open beyond it is refused with a
 * {@link UploadEvent.SpoolFull} event and an {@link IOException} (the session reports it), never a silent drop.</li>
 * </ul>
 *
 * <p>Credentials are held by {@link S3Credentials}, whose text form is redacted; every error text that reaches an
 * event, a log line or an exception is scrubbed of them.
 */
public final class S3Sink implements StorageSink, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(S3Sink.class);

    /** The smallest part S3 accepts (except the last). */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    /** The directory under the spool root that holds the upload records. */
    public static final String RECORD_DIR = ".capstan-uploads";

    private final String bucket;
    private final String prefix;
    private final Path root;
    private final Path recordDir;
    private final FileSystemSink local;
    private final S3Client s3;
    private final S3Credentials credentials;
    private final String endpointText;
    private final boolean deleteAfterUpload;
    private final long partSize;
    private final long maxSpoolBytes;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration giveUpAfter;
    private final boolean sha256Checksums;
    private final UploadListener listener;
    private final ScheduledThreadPoolExecutor pool;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    private final Object idle = new Object();
    private final FileChannel lockChannel;
    private final FileLock lock;
    private volatile boolean closed;
    /** Object keys settled by pending uploads of this sink → the record id holding each. */
    private final Map<String, String> reservedKeys = new ConcurrentHashMap<>();
    /** Object group prefixes (with the trailing '/') reserved by this sink. */
    private final java.util.Set<String> groupPrefixes = ConcurrentHashMap.newKeySet();
    /** Serializes the choice of local spool names and group prefixes. */
    private final Object nameLock = new Object();
    /** False after the store failed to answer; a committing thread then does not ask it (the upload pool does). */
    private volatile boolean storeReachable = true;
    /** The time limit of the one key check a committing or group-opening thread makes. */
    private static final Duration QUICK_CHECK = Duration.ofSeconds(2);

    private S3Sink(Builder b) throws IOException {
        this.bucket = b.bucket;
        String p = b.prefix == null ? "" : b.prefix.replaceAll("^/+", "");
        this.prefix = p.isEmpty() || p.endsWith("/") ? p : p + "/";
        this.root = b.spool.toAbsolutePath().normalize();
        this.recordDir = root.resolve(RECORD_DIR);
        this.local = new FileSystemSink(root, true);
        this.credentials = b.credentials;
        this.deleteAfterUpload = b.deleteAfterUpload;
        this.partSize = b.partSize;
        this.maxSpoolBytes = b.maxSpoolBytes;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.giveUpAfter = b.giveUpAfter;
        this.sha256Checksums = b.sha256Checksums;
        this.listener = b.listener;
        Files.createDirectories(recordDir);
        lockChannel = FileChannel.open(recordDir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException("the upload spool " + root + " is in use by another S3Sink or process");
        }
        this.lock = l;
        URI endpoint = endpointUri(b);
        this.endpointText = endpoint == null ? "AWS S3 " + b.region : endpoint.toString();
        S3ClientBuilder cb = S3Client.builder()
                .region(Region.of(b.region))
                .credentialsProvider(credentials.provider())
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(b.connectTimeout)
                        .socketTimeout(b.requestTimeout))
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(b.pathStyle)
                        // plain (not aws-chunked) bodies: every S3-compatible store takes them
                        .chunkedEncodingEnabled(false)
                        .build())
                // the checksums are ours (Content-MD5, optionally SHA-256), computed before the request is sent
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
        if (endpoint != null) {
            cb.endpointOverride(endpoint);
        }
        this.s3 = cb.build();
        if (credentials.hasSessionToken() && LoggerFactory.getLogger(
                "software.amazon.awssdk.http.auth.aws.internal.signer.DefaultV4RequestSigner").isDebugEnabled()) {
            log.warn("the AWS SDK's request signer logs at DEBUG: it prints each canonical request, session token"
                    + " included; set the logger software.amazon.awssdk.http.auth to INFO");
        }
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(b.uploadThreads, new java.util.concurrent.ThreadFactory() {
            private final AtomicInteger n = new AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, "capstan-s3-upload-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }
        });
        ex.setRemoveOnCancelPolicy(true);
        this.pool = ex;
        resume();
    }

    private static URI endpointUri(Builder b) {
        if (b.endpoint == null || b.endpoint.isBlank()) {
            return b.useSsl ? null : URI.create("http://s3." + b.region + ".amazonaws.com");
        }
        String e = b.endpoint.trim();
        if (!e.contains("://")) {
            e = (b.useSsl ? "https://" : "http://") + e;
        }
        URI u = URI.create(e);
        if (u.getUserInfo() != null) {
            throw new IllegalArgumentException("the S3 endpoint must not carry credentials; use S3Credentials");
        }
        return u;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of an {@link S3Sink}; {@link #bucket} and {@link #spool} are required. */
    public static final class Builder {
        private String bucket;
        private String region = "us-east-1";
        private String endpoint;
        private boolean pathStyle;
        private boolean useSsl = true;
        private String prefix = "";
        private S3Credentials credentials = S3Credentials.defaultChain();
        private Path spool;
        private boolean deleteAfterUpload;
        private long partSize = 8L * 1024 * 1024;
        private int uploadThreads = 2;
        private long maxSpoolBytes = Long.MAX_VALUE;
        private Duration initialBackoff = Duration.ofMillis(500);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Duration giveUpAfter = Duration.ofHours(24);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private boolean sha256Checksums;
        private UploadListener listener = e -> { };

        private Builder() {
        }

        public Builder bucket(String bucket) {
            this.bucket = bucket;
            return this;
        }

        /** The signing region (default {@code us-east-1}; MinIO and S3Proxy accept any, OSS wants its own, e.g. {@code oss-cn-hangzhou}). */
        public Builder region(String region) {
            this.region = Objects.requireNonNull(region);
            return this;
        }

        /**
         * An S3-compatible endpoint instead of AWS, e.g. {@code http://127.0.0.1:9000} (MinIO) or
         * {@code https://oss-cn-hangzhou.aliyuncs.com}. Without a scheme, {@link #useSsl} picks https or http.
         */
        public Builder endpoint(String endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        /** Path-style addressing ({@code endpoint/bucket/key}), which MinIO and S3Proxy need; virtual-host style otherwise. */
        public Builder pathStyle(boolean pathStyle) {
            this.pathStyle = pathStyle;
            return this;
        }

        /** https (default) or plain http for an endpoint given without a scheme (and for AWS itself). */
        public Builder useSsl(boolean useSsl) {
            this.useSsl = useSsl;
            return this;
        }

        /** Prepended to every object key; a '/' is added when missing ({@code recordings} → {@code recordings/}). */
        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        public Builder credentials(S3Credentials credentials) {
            this.credentials = Objects.requireNonNull(credentials);
            return this;
        }

        /** The local spool directory: segments are written here first, upload records live in {@code .capstan-uploads/}. */
        public Builder spool(Path spool) {
            this.spool = spool;
            return this;
        }

        /** Remove the local file once the store confirmed the complete object (default: keep it). */
        public Builder deleteAfterUpload(boolean deleteAfterUpload) {
            this.deleteAfterUpload = deleteAfterUpload;
            return this;
        }

        /** Multipart part size, at least {@link #MIN_PART_SIZE} (default 8 MiB); objects up to this size are one PutObject. */
        public Builder partSize(long partSize) {
            if (partSize < MIN_PART_SIZE) {
                throw new IllegalArgumentException("part size " + partSize + " is below the S3 minimum of 5 MiB");
            }
            this.partSize = partSize;
            return this;
        }

        /** Upload threads (default 2), each holding at most one part in memory. */
        public Builder uploadThreads(int uploadThreads) {
            if (uploadThreads < 1) {
                throw new IllegalArgumentException("uploadThreads must be >= 1");
            }
            this.uploadThreads = uploadThreads;
            return this;
        }

        /** Refuse new outputs while the spool holds this many bytes not yet uploaded (default: unbounded). */
        public Builder maxSpoolBytes(long maxSpoolBytes) {
            this.maxSpoolBytes = maxSpoolBytes;
            return this;
        }

        /** Exponential backoff with full jitter: attempt n waits a random time in [0, min(max, initial * 2^(n-1))]. */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /** Stop retrying an object whose transient errors have lasted this long (default 24 h); it stays in the spool. */
        public Builder giveUpAfter(Duration giveUpAfter) {
            this.giveUpAfter = giveUpAfter;
            return this;
        }

        /** Connect timeout and per-request socket (read) timeout of the HTTP transport. */
        public Builder timeouts(Duration connect, Duration request) {
            this.connectTimeout = connect;
            this.requestTimeout = request;
            return this;
        }

        /** Also send the flexible {@code x-amz-checksum-sha256} on every PutObject / UploadPart (AWS, MinIO). */
        public Builder sha256Checksums(boolean sha256Checksums) {
            this.sha256Checksums = sha256Checksums;
            return this;
        }

        public Builder listener(UploadListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        /**
         * Builds the sink and resumes every upload recorded in the spool.
         *
         * @throws IOException when the spool cannot be created or another sink holds it
         */
        public S3Sink build() throws IOException {
            if (bucket == null || bucket.isBlank()) {
                throw new IllegalArgumentException("an S3 bucket is required");
            }
            if (spool == null) {
                throw new IllegalArgumentException("a spool directory is required");
            }
            return new S3Sink(this);
        }
    }

    // ------------------------------------------------------------------------------------------------ public face

    @Override
    public String describe() {
        return "s3://" + bucket + "/" + prefix + " (" + endpointText + ", spool " + root + ")";
    }

    @Override
    public String toString() {
        return "S3Sink[" + describe() + ", " + credentials + "]";
    }

    /**
     * The buckets named by the upload records in a spool (without opening it), e.g. to resume a spool when no
     * bucket is configured.
     */
    public static java.util.Set<String> spooledBuckets(Path spool) throws IOException {
        java.util.Set<String> buckets = new java.util.TreeSet<>();
        Path dir = spool.resolve(RECORD_DIR);
        if (!Files.isDirectory(dir)) {
            return buckets;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SpoolRecord.SUFFIX)) {
            for (Path f : ds) {
                try {
                    buckets.add(SpoolRecord.load(f).bucket);
                } catch (IOException e) {
                    log.warn("skipping {}", e.getMessage());
                }
            }
        }
        return buckets;
    }

    /** The spool directory. */
    public Path spool() {
        return root;
    }

    public String bucket() {
        return bucket;
    }

    /** The object key a segment key maps to. */
    public String objectKey(SegmentKey key) {
        return prefix + key.path();
    }

    /**
     * Opens a segment. The object key is {@code prefix + key.path()}, or that key with a collision suffix when the
     * bucket or another pending upload of this sink holds it: see the class doc for when it is settled.
     */
    @Override
    public SegmentOutput open(SegmentKey key, boolean seekable) throws IOException {
        ensureOpen();
        checkSpool(objectKey(key));
        SegmentOutput out;
        Path part;
        SegmentKey localKey;
        synchronized (nameLock) {
            localKey = freeLocalKey(key);
            out = local.open(localKey, true);
            Path target = Path.of(out.location());
            part = target.resolveSibling(target.getFileName() + ".part");
        }
        SpoolOutput so = track(out, part, objectKey(localKey), !seekable, seekable, false);
        if (!seekable) {
            kick(so.job); // settles the object key on the upload pool before any part is sent
        }
        return so;
    }

    /**
     * The key itself, or the first of {@code NAME-1.ext}, {@code NAME-2.ext}... whose spool file (final or
     * {@code .part}) neither exists nor is written by another output: two outputs opened with one key do not share
     * a spool file, and an interrupted recording's {@code .part} is never truncated.
     */
    private SegmentKey freeLocalKey(SegmentKey key) throws IOException {
        for (int i = 0; i <= 1000; i++) {
            SegmentKey k = i == 0 ? key : new SegmentKey(withSuffix(key.path(), i));
            Path target = local.resolve(k);
            Path part = target.resolveSibling(target.getFileName() + ".part");
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) || Files.exists(part, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            boolean inUse = false;
            for (Job j : jobs.values()) {
                inUse |= part.equals(j.data) || target.equals(j.data);
            }
            if (!inUse) {
                return k;
            }
        }
        throw new IOException("no free spool file name for " + key.path());
    }

    /** {@code key} with the collision suffix {@code -i} before the last dot of its file name (as FileSystemSink). */
    static String withSuffix(String key, int i) {
        if (i == 0) {
            return key;
        }
        int slash = key.lastIndexOf('/');
        String dir = key.substring(0, slash + 1);
        String name = key.substring(slash + 1);
        int dot = name.lastIndexOf('.');
        String base = dot <= 0 ? name : name.substring(0, dot);
        String ext = dot <= 0 ? "" : name.substring(dot);
        return dir + base + "-" + i + ext;
    }

    private SpoolOutput track(SegmentOutput out, Path part, String objectKey, boolean streaming, boolean seekable,
            boolean keyDecided) throws IOException {
        SpoolRecord rec = newRecord(UUID.randomUUID().toString());
        rec.key = objectKey;
        rec.keyDecided = keyDecided;
        rec.localFile = relative(part);
        rec.streaming = streaming;
        Job j = new Job(rec, part);
        try {
            rec.save();
        } catch (IOException e) {
            out.abort();
            throw spoolError(objectKey, e);
        }
        jobs.put(rec.id, j);
        j.out = out;
        return new SpoolOutput(out, j, seekable);
    }

    // ------------------------------------------------------------------------------------------------ key choice

    /**
     * Reserves for record {@code owner} the first key among {@code base}, {@code base-1}... that no object of the
     * bucket has, no other pending upload of this sink holds and no group of this sink covers.
     *
     * @param quick one request with a short time limit (a committing thread), else the client's own timeouts
     * @throws RuntimeException what the store threw when it could not be asked (nothing is reserved then)
     */
    private String reserveKey(String bkt, String base, String owner, boolean quick) throws IOException {
        for (int i = 0; i <= 1000; i++) {
            String cand = withSuffix(base, i);
            String prev = reservedKeys.putIfAbsent(cand, owner);
            if (prev != null && !prev.equals(owner)) {
                continue;
            }
            boolean taken = groupPrefixes.stream().anyMatch(cand::startsWith);
            if (!taken) {
                try {
                    taken = objectExists(bkt, cand, quick);
                } catch (RuntimeException e) {
                    if (prev == null) {
                        reservedKeys.remove(cand, owner);
                    }
                    throw e;
                }
            }
            if (!taken) {
                if (i > 0) {
                    log.info("{} exists in the bucket or is pending; using {}", base, cand);
                }
                return cand;
            }
            reservedKeys.remove(cand, owner);
        }
        throw new IOException("no free object key for " + base + " (tried 1000 suffixes)");
    }

    private boolean objectExists(String bkt, String key, boolean quick) {
        try {
            s3.headObject(b -> {
                b.bucket(bkt).key(key);
                if (quick) {
                    b.overrideConfiguration(o -> o.apiCallTimeout(QUICK_CHECK));
                }
            });
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            if (e.statusCode() == 403) {
                // HeadObject needs s3:GetObject (and s3:ListBucket to tell 404 from 403): with write-only
                // credentials the bucket cannot be asked. The upload goes on under the key unchecked (as before this
                // check existed); a real authentication error shows up, with its code, on the upload itself.
                if (!headForbiddenLogged) {
                    headForbiddenLogged = true;
                    log.warn("the store refuses HeadObject on {} (HTTP 403): existing objects cannot be detected, keys"
                            + " are used unchecked (grant s3:GetObject and s3:ListBucket to avoid overwrites)", key);
                }
                return false;
            }
            throw e;
        }
    }

    private volatile boolean headForbiddenLogged;

    private boolean prefixTaken(String prefixSlash) {
        ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefixSlash).maxKeys(1)
                .overrideConfiguration(o -> o.apiCallTimeout(QUICK_CHECK)));
        return r.hasContents() && !r.contents().isEmpty();
    }

    /** Settles the object key of a job on the upload pool (before its first request); throws when the store is down. */
    private void decideKey(Job j) throws IOException {
        SpoolRecord r = j.rec;
        String base;
        synchronized (j) {
            if (r.keyDecided) {
                return;
            }
            base = r.key;
        }
        String k = reserveKey(r.bucket, base, r.id, false);
        synchronized (j) {
            boolean gone;
            synchronized (j.sched) {
                gone = j.done;
            }
            if (gone) { // aborted meanwhile: its record is deleted and must stay so
                reservedKeys.remove(k, r.id);
                return;
            }
            r.key = k;
            r.keyDecided = true;
            r.save();
        }
    }

    private SpoolRecord newRecord(String id) {
        SpoolRecord rec = new SpoolRecord(id, recordDir.resolve(id + SpoolRecord.SUFFIX));
        rec.bucket = bucket;
        rec.deleteAfterUpload = deleteAfterUpload;
        return rec;
    }

    /**
     * Reserves the group prefix {@code KEY-without-extension/}, or {@code ...-1/}, {@code -2/}... when the bucket
     * holds objects under it, another group of this sink has it, or the spool directory exists. The bucket is asked
     * once, with a short time limit; when it does not answer the prefix is reserved locally only (logged).
     */
    @Override
    public ObjectGroup openGroup(SegmentKey key) throws IOException {
        ensureOpen();
        checkSpool(objectKey(key));
        String path = key.path();
        int slash = path.lastIndexOf('/');
        String dir = path.substring(0, slash + 1);
        String name = path.substring(slash + 1);
        int dot = name.lastIndexOf('.');
        String stem = dot <= 0 ? name : name.substring(0, dot);
        String ext = dot <= 0 ? "" : name.substring(dot);
        synchronized (nameLock) {
            for (int i = 0; i <= 1000; i++) {
                String candStem = i == 0 ? stem : stem + "-" + i;
                if (Files.exists(local.root().resolve(dir + candStem), LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                String remote = prefix + dir + candStem + "/";
                if (groupPrefixes.contains(remote) || reservedKeys.keySet().stream().anyMatch(k -> k.startsWith(remote))) {
                    continue;
                }
                boolean checked = false;
                if (storeReachable) {
                    try {
                        if (prefixTaken(remote)) {
                            continue;
                        }
                        checked = true;
                    } catch (RuntimeException e) {
                        if (isTransient(e)) {
                            storeReachable = false;
                        }
                        log.warn("cannot check the group prefix {} in the bucket ({}); reserving it locally only",
                                remote, reason(e));
                    }
                } else {
                    log.warn("the store is unreachable: the group prefix {} is reserved locally only", remote);
                }
                ObjectGroup g = local.openGroup(new SegmentKey(dir + candStem + ext));
                String got = prefix + g.prefix() + "/";
                groupPrefixes.add(got);
                if (checked && !got.equals(remote)) {
                    log.warn("the spool took the group prefix {} instead of {}", got, remote);
                }
                return new SpoolGroup(g);
            }
        }
        throw new IOException("no free group prefix for " + path);
    }

    /** Bytes in the spool that are not uploaded yet (open outputs included). */
    public long spoolBytes() {
        long n = 0;
        for (Job j : jobs.values()) {
            n += j.bytes();
        }
        return n;
    }

    /** What is not uploaded yet: open outputs, queued, retrying and failed objects. */
    public List<PendingUpload> pending() {
        List<PendingUpload> l = new ArrayList<>();
        for (Job j : jobs.values()) {
            String state;
            synchronized (j.sched) {
                state = j.failed ? "failed" : j.rec.state == SpoolRecord.State.WRITING ? "writing"
                        : j.attempt > 0 ? "retrying" : "uploading";
            }
            l.add(new PendingUpload(j.rec.key, j.data.toString(), j.bytes(), state, j.lastError));
        }
        return l;
    }

    /**
     * Waits until every object opened so far is uploaded or has failed permanently, or until {@code timeout}.
     *
     * @return true when nothing is pending any more (every object was uploaded)
     */
    public boolean awaitUploads(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (true) {
                boolean busy = false;
                for (Job j : jobs.values()) {
                    synchronized (j.sched) {
                        busy |= !j.failed && !j.done;
                    }
                }
                long left = deadline - System.nanoTime();
                if (!busy || left <= 0 || closed) {
                    break;
                }
                idle.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 250)));
            }
        }
        return jobs.isEmpty();
    }

    /**
     * Stops uploading. In-flight requests are interrupted; every object not uploaded is reported as
     * {@link UploadEvent.Failed} and stays in the spool (its record too), so a new sink over the same spool resumes
     * it. Does not wait for uploads: call {@link #awaitUploads} first.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("S3 upload threads did not stop within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job j : jobs.values()) {
            boolean report;
            synchronized (j.sched) {
                report = !j.failed && !j.done;
                j.failed |= report;
            }
            if (report) {
                emit(new UploadEvent.Failed(j.rec.key, "not uploaded before the sink closed"
                        + (j.lastError != null ? " (last error: " + j.lastError + ")" : "")
                        + "; kept in the spool for the next run", j.data.toString()));
            }
        }
        s3.close();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException ignored) {
            // the lock goes with the process anyway
        }
        synchronized (idle) {
            idle.notifyAll();
        }
    }

    // ------------------------------------------------------------------------------------------------ spool

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("S3 sink is closed");
        }
    }

    private void checkSpool(String objectKey) throws IOException {
        long used = spoolBytes();
        if (used >= maxSpoolBytes) {
            String reason = "upload spool full: " + used + " bytes not yet uploaded (limit " + maxSpoolBytes + ")";
            emit(new UploadEvent.SpoolFull(objectKey, used, maxSpoolBytes, reason));
            throw new IOException(reason + "; refusing " + objectKey);
        }
    }

    private IOException spoolError(String objectKey, IOException e) {
        String msg = String.valueOf(e.getMessage());
        String low = msg.toLowerCase(Locale.ROOT);
        if (low.contains("no space") || low.contains("disk full") || low.contains("not enough space")
                || low.contains("quota")) {
            emit(new UploadEvent.SpoolFull(objectKey, spoolBytes(), maxSpoolBytes, "local spool disk full: " + msg));
        }
        return e;
    }

    private String relative(Path p) {
        return root.relativize(p.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }

    /** Picks up every record left in the spool by an earlier sink (or an earlier process). */
    private void resume() throws IOException {
        List<SpoolRecord> records = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(recordDir)) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                if (n.endsWith(SpoolRecord.SUFFIX + ".tmp")) {
                    Files.deleteIfExists(f);
                } else if (n.endsWith(SpoolRecord.SUFFIX)) {
                    try {
                        records.add(SpoolRecord.load(f));
                    } catch (IOException e) {
                        log.warn("skipping {}", e.getMessage());
                    }
                }
            }
        }
        List<Job> resumed = new ArrayList<>();
        for (SpoolRecord rec : records) {
            Path data = root.resolve(rec.localFile).normalize();
            if (rec.state == SpoolRecord.State.WRITING) {
                String upload = rec.uploadId;
                if (upload != null) {
                    pool.execute(() -> abortMultipart(rec.bucket, rec.key, upload));
                }
                rec.delete();
                emit(new UploadEvent.Failed(rec.key, "the recording was interrupted before it was committed; the local"
                        + " file is kept (capstan recover can repair it)", data.toString()));
                continue;
            }
            if (!Files.isRegularFile(data)) {
                rec.delete();
                emit(new UploadEvent.Failed(rec.key, "the spool file is gone; nothing to upload", data.toString()));
                continue;
            }
            Job j = new Job(rec, data);
            j.size = rec.size;
            if (rec.keyDecided) {
                reservedKeys.put(rec.key, rec.id); // kept as it is: it may hold parts already
            }
            jobs.put(rec.id, j);
            resumed.add(j);
        }
        // every settled key is reserved before an unsettled one is chosen
        for (Job j : resumed) {
            log.info("resuming upload of {} from {}", j.rec.key, j.data);
            kick(j);
        }
    }

    // ------------------------------------------------------------------------------------------------ jobs

    /** One object's upload. Record fields change under {@code this}; scheduling flags under {@link #sched}. */
    private final class Job {
        final SpoolRecord rec;
        final Object sched = new Object();
        volatile Path data;
        volatile long available;   // bytes the muxer has written (append-only outputs)
        volatile long size = -1;   // set at commit
        volatile String lastError;
        volatile SegmentOutput out;
        long kickedAt;
        // under sched
        boolean queued;
        boolean running;
        boolean again;
        boolean done;
        boolean failed;
        boolean started;
        int attempt;
        long firstFailureNanos;

        Job(SpoolRecord rec, Path data) {
            this.rec = rec;
            this.data = data;
        }

        long bytes() {
            long s = size;
            if (s >= 0) {
                return s;
            }
            SegmentOutput o = out;
            return o != null ? o.bytesWritten() : available;
        }
    }

    private void kick(Job j) {
        synchronized (j.sched) {
            if (j.done || j.failed || closed) {
                return;
            }
            if (j.running || j.queued) {
                j.again = true;
                return;
            }
            j.queued = true;
        }
        submit(j, 0);
    }

    private void submit(Job j, long delayMillis) {
        try {
            if (delayMillis <= 0) {
                pool.execute(() -> run(j));
            } else {
                pool.schedule(() -> run(j), delayMillis, TimeUnit.MILLISECONDS);
            }
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the record stays in the spool
        }
    }

    private void run(Job j) {
        synchronized (j.sched) {
            if (j.done || j.failed || closed) {
                j.queued = false;
                return;
            }
            j.queued = false;
            j.running = true;
            j.again = false;
        }
        long retryDelay = -1;
        try {
            step(j);
            storeReachable = true;
            synchronized (j.sched) {
                j.attempt = 0;
                j.firstFailureNanos = 0;
            }
        } catch (Throwable t) {
            if (closed) {
                return;
            }
            String reason = reason(t);
            j.lastError = reason;
            if (isStaleUpload(t)) {
                // the store forgot the multipart upload (expired, or its server lost it): start over from the file
                restartMultipart(j);
                retryDelay = 0;
            } else if (isTransient(t)) {
                if (t instanceof SdkClientException || t instanceof AwsServiceException) {
                    storeReachable = false;
                }
                int attempt;
                long since;
                synchronized (j.sched) {
                    attempt = ++j.attempt;
                    if (j.firstFailureNanos == 0) {
                        j.firstFailureNanos = System.nanoTime();
                    }
                    since = System.nanoTime() - j.firstFailureNanos;
                }
                if (since > giveUpAfter.toNanos()) {
                    fail(j, "gave up after " + attempt + " attempts over " + Duration.ofNanos(since).toSeconds()
                            + " s: " + reason);
                } else {
                    retryDelay = backoffMillis(attempt);
                    log.warn("upload of {} failed (attempt {}), retrying in {} ms: {}", j.rec.key, attempt, retryDelay,
                            reason);
                    emit(new UploadEvent.Retrying(j.rec.key, attempt, Duration.ofMillis(retryDelay), reason));
                }
            } else {
                fail(j, reason);
            }
        } finally {
            boolean rerun = false;
            synchronized (j.sched) {
                j.running = false;
                if (!j.done && !j.failed && !closed) {
                    if (retryDelay >= 0 || j.again) {
                        j.queued = true;
                        rerun = true;
                    }
                }
            }
            if (rerun) {
                submit(j, Math.max(0, retryDelay));
            }
            synchronized (idle) {
                idle.notifyAll();
            }
        }
    }

    private long backoffMillis(int attempt) {
        long cap = maxBackoff.toMillis();
        long exp = initialBackoff.toMillis() << Math.min(20, attempt - 1);
        long bound = Math.max(1, Math.min(cap, exp));
        return ThreadLocalRandom.current().nextLong(bound + 1); // full jitter
    }

    private void fail(Job j, String reason) {
        synchronized (j.sched) {
            j.failed = true;
        }
        log.error("upload of {} failed: {}; the local file {} is kept in the spool", j.rec.key, reason, j.data);
        emit(new UploadEvent.Failed(j.rec.key, reason, j.data.toString()));
    }

    /** Uploads what can be uploaded now; returns when the object is done or waits for more data. */
    private void step(Job j) throws IOException {
        SpoolRecord r = j.rec;
        boolean committed;
        synchronized (j) {
            committed = r.state == SpoolRecord.State.READY;
        }
        if (!committed && !r.streaming) {
            return; // a seekable output is uploaded after commit
        }
        if (!r.keyDecided) {
            decideKey(j);
        }
        if (!committed) {
            while (j.available - r.partsEnd() >= partSize && !closed) {
                uploadPart(j, r.partsEnd(), partSize);
            }
            return;
        }
        String sha256;
        long size;
        if (r.replaceable) {
            byte[] content;
            synchronized (j) {
                content = Files.readAllBytes(j.data);
            }
            size = content.length;
            sha256 = put(j, content, content.length);
        } else {
            size = r.size;
            if (r.uploadId == null && size <= partSize) {
                sha256 = put(j, read(j, 0, (int) size), (int) size);
            } else {
                while (size - r.partsEnd() > 0 && !closed) {
                    uploadPart(j, r.partsEnd(), Math.min(partSize, size - r.partsEnd()));
                }
                if (closed) {
                    return;
                }
                complete(j);
                sha256 = sha256Hex(j, size);
            }
        }
        HeadObjectResponse head = s3.headObject(h -> h.bucket(r.bucket).key(r.key));
        if (head.contentLength() == null || head.contentLength() != size) {
            throw new TransientException("the store reports " + head.contentLength() + " bytes for " + r.key
                    + ", expected " + size);
        }
        finish(j, size, sha256);
    }

    private void finish(Job j, long size, String sha256) throws IOException {
        boolean deleted = false;
        synchronized (j) {
            synchronized (j.sched) {
                if (j.rec.replaceable && j.again) {
                    return; // replaced meanwhile: the newer content goes up next, the record stays
                }
            }
            j.rec.delete();
            if (j.rec.deleteAfterUpload) {
                deleted = Files.deleteIfExists(j.data);
            }
            synchronized (j.sched) {
                j.done = true;
            }
            jobs.remove(j.rec.id, j);
            reservedKeys.remove(j.rec.key, j.rec.id);
        }
        String location = "s3://" + j.rec.bucket + "/" + j.rec.key;
        log.info("uploaded {} ({} bytes, sha256 {})", location, size, sha256);
        emit(new UploadEvent.Uploaded(j.rec.key, size, sha256, location, deleted));
    }

    private void started(Job j, boolean multipart) {
        boolean first;
        synchronized (j.sched) {
            first = !j.started;
            j.started = true;
        }
        if (first) {
            emit(new UploadEvent.Started(j.rec.key, multipart));
        }
    }

    private String put(Job j, byte[] content, int len) {
        started(j, false);
        SpoolRecord r = j.rec;
        String md5 = base64(digest("MD5", content, len));
        byte[] sha = digest("SHA-256", content, len);
        String shaB64 = base64(sha);
        s3.putObject(b -> {
            b.bucket(r.bucket).key(r.key).contentLength((long) len).contentMD5(md5).contentType(contentType(r.key));
            if (sha256Checksums) {
                b.checksumSHA256(shaB64);
            }
        }, body(content, len));
        return HexFormat.of().formatHex(sha);
    }

    private void uploadPart(Job j, long offset, long length) throws IOException {
        SpoolRecord r = j.rec;
        String uploadId;
        synchronized (j) {
            uploadId = r.uploadId;
        }
        if (uploadId == null) {
            started(j, true);
            String id = s3.createMultipartUpload(b -> {
                b.bucket(r.bucket).key(r.key).contentType(contentType(r.key));
                if (sha256Checksums) {
                    b.checksumAlgorithm(ChecksumAlgorithm.SHA256);
                }
            }).uploadId();
            synchronized (j) {
                r.uploadId = id;
                r.save();
            }
            uploadId = id;
        } else {
            started(j, true);
        }
        int len = Math.toIntExact(length);
        byte[] buf = read(j, offset, len);
        int number = r.parts.size() + 1;
        String md5 = base64(digest("MD5", buf, len));
        String sha = base64(digest("SHA-256", buf, len));
        String upload = uploadId;
        UploadPartResponse resp = s3.uploadPart(b -> {
            b.bucket(r.bucket).key(r.key).uploadId(upload).partNumber(number).contentLength((long) len).contentMD5(md5);
            if (sha256Checksums) {
                b.checksumSHA256(sha);
            }
        }, body(buf, len));
        synchronized (j) {
            r.parts.add(new SpoolRecord.Part(number, offset, len, resp.eTag(), sha));
            r.save();
        }
        log.debug("uploaded part {} of {} ({} bytes)", number, r.key, len);
    }

    private void complete(Job j) {
        SpoolRecord r = j.rec;
        List<CompletedPart> parts = new ArrayList<>();
        String uploadId;
        synchronized (j) {
            uploadId = r.uploadId;
            for (SpoolRecord.Part p : r.parts) {
                CompletedPart.Builder cp = CompletedPart.builder().partNumber(p.number()).eTag(p.etag());
                if (sha256Checksums && p.sha256() != null) {
                    cp.checksumSHA256(p.sha256());
                }
                parts.add(cp.build());
            }
        }
        s3.completeMultipartUpload(b -> b.bucket(r.bucket).key(r.key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(parts)));
    }

    private void restartMultipart(Job j) {
        String old;
        synchronized (j) {
            old = j.rec.uploadId;
            j.rec.uploadId = null;
            j.rec.parts.clear();
            try {
                j.rec.save();
            } catch (IOException e) {
                log.warn("cannot rewrite the upload record of {}: {}", j.rec.key, e.getMessage());
            }
        }
        if (old != null) {
            abortMultipart(j.rec.bucket, j.rec.key, old);
        }
    }

    private void abortMultipart(String bucket, String key, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            log.info("aborted the incomplete multipart upload of {}", key);
        } catch (RuntimeException e) {
            log.warn("could not abort the multipart upload of {}: {}", key, reason(e));
        }
    }

    private byte[] read(Job j, long offset, int len) throws IOException {
        byte[] buf = new byte[len];
        FileChannel ch;
        synchronized (j) {
            ch = FileChannel.open(j.data, StandardOpenOption.READ);
        }
        try (ch) {
            ByteBuffer b = ByteBuffer.wrap(buf);
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) < 0) {
                    throw new IOException("spool file " + j.data + " ends at " + (offset + b.position())
                            + ", expected " + (offset + len) + " bytes");
                }
            }
        }
        return buf;
    }

    private String sha256Hex(Job j, long size) throws IOException {
        MessageDigest md = newDigest("SHA-256");
        FileChannel ch;
        synchronized (j) {
            ch = FileChannel.open(j.data, StandardOpenOption.READ);
        }
        try (ch) {
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            long pos = 0;
            while (pos < size) {
                b.clear();
                b.limit((int) Math.min(b.capacity(), size - pos));
                int n = ch.read(b, pos);
                if (n < 0) {
                    throw new IOException("spool file " + j.data + " is shorter than " + size + " bytes");
                }
                b.flip();
                md.update(b);
                pos += n;
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static RequestBody body(byte[] buf, int len) {
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buf, 0, len), len,
                "application/octet-stream");
    }

    private static byte[] digest(String alg, byte[] buf, int len) {
        MessageDigest md = newDigest(alg);
        md.update(buf, 0, len);
        return md.digest();
    }

    private static MessageDigest newDigest(String alg) {
        try {
            return MessageDigest.getInstance(alg);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static String contentType(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        int dot = k.lastIndexOf('.');
        String ext = dot < 0 ? "" : k.substring(dot + 1);
        return switch (ext) {
            case "webm" -> "video/webm";
            case "mkv" -> "video/x-matroska";
            case "mka" -> "audio/x-matroska";
            case "mp4" -> "video/mp4";
            case "m4a" -> "audio/mp4";
            case "m4s" -> "video/iso.segment";
            case "mpd" -> "application/dash+xml";
            case "m3u8" -> "application/vnd.apple.mpegurl";
            case "ts" -> "video/mp2t";
            case "ogg", "opus" -> "audio/ogg";
            case "ivf" -> "video/x-ivf";
            case "json" -> "application/json";
            default -> "application/octet-stream";
        };
    }

    // ------------------------------------------------------------------------------------------------ errors

    /** A check of ours that failed in a way worth retrying. */
    private static final class TransientException extends IOException {
        TransientException(String msg) {
            super(msg);
        }
    }

    private static boolean isStaleUpload(Throwable t) {
        if (t instanceof AwsServiceException e && e.awsErrorDetails() != null) {
            String code = e.awsErrorDetails().errorCode();
            return "NoSuchUpload".equals(code) || "InvalidPart".equals(code) || "InvalidPartOrder".equals(code);
        }
        return false;
    }

    private static boolean isTransient(Throwable t) {
        if (t instanceof TransientException) {
            return true;
        }
        if (t instanceof AwsServiceException e) {
            int status = e.statusCode();
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            return status >= 500 || status == 429 || status == 408 || status == 0
                    || "RequestTimeout".equals(code) || "SlowDown".equals(code) || "BadDigest".equals(code)
                    || "InvalidDigest".equals(code) || "IncompleteBody".equals(code)
                    || "RequestTimeTooSkewed".equals(code) || "XAmzContentSHA256Mismatch".equals(code)
                    || "ExpiredToken".equals(code);
        }
        if (t instanceof SdkClientException) {
            return true; // connection refused / reset, timeouts, unreadable responses
        }
        if (t instanceof NoSuchFileException) {
            return false; // the spool file is gone
        }
        return t instanceof IOException || t instanceof UncheckedIOException;
    }

    /** A short, credential-free description of a failure. */
    private String reason(Throwable t) {
        String msg;
        if (t instanceof AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            String text = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
            msg = "HTTP " + e.statusCode() + (code != null ? " " + code : "") + (text != null ? ": " + text : "");
        } else {
            Throwable c = t;
            while (c.getCause() != null && c.getCause() != c && (c.getMessage() == null
                    || c instanceof SdkClientException)) {
                c = c.getCause();
            }
            msg = c.getClass().getSimpleName() + (c.getMessage() != null ? ": " + c.getMessage() : "");
            if (c != t && t.getMessage() != null && t instanceof SdkClientException) {
                msg = t.getMessage().split("\n")[0] + " (" + msg + ")";
            }
        }
        msg = credentials.redact(msg);
        return msg.length() > 400 ? msg.substring(0, 400) + "..." : msg;
    }

    private void emit(UploadEvent e) {
        try {
            listener.onEvent(e);
        } catch (RuntimeException ex) {
            log.warn("upload listener threw {}", ex.getClass().getName());
        }
    }

    // ------------------------------------------------------------------------------------------------ outputs

    private final class SpoolOutput implements SegmentOutput {
        private final SegmentOutput out;
        private final Job job;
        private final boolean seekable;
        private boolean finished;

        SpoolOutput(SegmentOutput out, Job job, boolean seekable) {
            this.out = out;
            this.job = job;
            this.seekable = seekable;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n;
            try {
                n = out.write(src);
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                throw spoolError(job.rec.key, e);
            }
            if (job.rec.streaming) {
                long w = out.bytesWritten();
                job.available = w;
                if (w - job.kickedAt >= partSize) {
                    job.kickedAt = w - (w % partSize);
                    kick(job);
                }
            }
            return n;
        }

        @Override
        public Optional<SeekableOutput> seekable() {
            return seekable ? out.seekable() : Optional.empty();
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void commit() throws IOException {
            commit(null);
        }

        /**
         * Under another object key: possible while nothing was uploaded, i.e. for seekable outputs (uploaded after
         * commit). A streaming output's multipart upload already carries its key: refused, nothing committed.
         */
        @Override
        public void commit(SegmentKey finalKey) throws IOException {
            if (finished) {
                return;
            }
            SpoolRecord r = job.rec;
            if (finalKey != null && r.streaming) {
                throw new IOException("S3Sink cannot rename a streaming upload already under way (" + r.key
                        + "); use a seekable container for names rendered on close");
            }
            synchronized (job) {
                try {
                    if (finalKey == null) {
                        out.commit();
                    } else {
                        out.commit(finalKey);
                    }
                } catch (IOException e) {
                    throw spoolError(r.key, e);
                }
                Path fin = Path.of(out.location()).toAbsolutePath().normalize();
                if (!r.streaming && !r.keyDecided) {
                    // the local spool file may have taken a collision suffix: the object starts from the same name,
                    // then skips keys the bucket or other pending uploads hold
                    r.key = objectKey(new SegmentKey(local.root().relativize(fin).toString().replace('\\', '/')));
                    if (storeReachable) {
                        try {
                            r.key = reserveKey(r.bucket, r.key, r.id, true);
                            r.keyDecided = true;
                        } catch (RuntimeException | IOException e) {
                            // not on the committing thread: the upload pool settles it (and retries)
                            if (isTransient(e)) {
                                storeReachable = false;
                            }
                            log.info("cannot check {} in the bucket now ({}); the upload settles its key", r.key,
                                    reason(e));
                        }
                    }
                }
                job.data = fin;
                r.localFile = relative(fin);
                r.size = Files.size(fin);
                r.state = SpoolRecord.State.READY;
                r.save();
                job.size = r.size;
                job.out = null;
            }
            finished = true;
            kick(job);
        }

        @Override
        public void abort() {
            if (finished) {
                return;
            }
            finished = true;
            out.abort();
            discard(job);
        }

        @Override
        public void close() throws IOException {
            if (finished) {
                return;
            }
            // closed without commit: like FileSystemSink, the local .part file stays; nothing is uploaded
            finished = true;
            out.close();
            discard(job);
            emit(new UploadEvent.Failed(job.rec.key, "the output was closed without commit; the local file is kept",
                    job.data.toString()));
        }

        /**
         * {@code s3://bucket/key} under the object key as far as it is settled: the requested key (with the spool's
         * collision suffix) until the bucket was checked, which for an append-only output happens on the upload
         * threads shortly after open and for a seekable one at commit, or at its upload when the store was
         * unreachable then. The {@link UploadEvent.Uploaded} event always names the final key.
         */
        @Override
        public String location() {
            return "s3://" + job.rec.bucket + "/" + job.rec.key;
        }

        @Override
        public long bytesWritten() {
            return out.bytesWritten();
        }
    }

    private void discard(Job j) {
        synchronized (j.sched) {
            j.done = true;
        }
        jobs.remove(j.rec.id, j);
        reservedKeys.remove(j.rec.key, j.rec.id);
        String upload;
        synchronized (j) {
            upload = j.rec.uploadId;
            try {
                j.rec.delete();
            } catch (IOException e) {
                log.warn("cannot delete the upload record of {}: {}", j.rec.key, e.getMessage());
            }
        }
        if (upload != null) {
            try {
                pool.execute(() -> abortMultipart(j.rec.bucket, j.rec.key, upload));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed: the store's lifecycle rule has to clean it up
            }
        }
        synchronized (idle) {
            idle.notifyAll();
        }
    }

    private final class SpoolGroup implements ObjectGroup {
        private final ObjectGroup group;

        SpoolGroup(ObjectGroup group) {
            this.group = group;
        }

        @Override
        public String prefix() {
            return group.prefix();
        }

        private String key(String name) {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("bad object name: '" + name + "'");
            }
            return prefix + group.prefix() + "/" + name;
        }

        @Override
        public SegmentOutput create(String name) throws IOException {
            ensureOpen();
            String k = key(name);
            checkSpool(k);
            SegmentOutput out = group.create(name);
            Path target = Path.of(out.location());
            return track(out, target.resolveSibling(target.getFileName() + ".part"), k, false, true, true);
        }

        @Override
        public synchronized void replace(String name, ByteBuffer content) throws IOException {
            ensureOpen();
            String k = key(name);
            byte[] name8 = (bucket + "/" + k).getBytes(StandardCharsets.UTF_8);
            String id = "r-" + HexFormat.of().formatHex(digest("SHA-256", name8, name8.length)).substring(0, 32);
            Job j = jobs.get(id);
            if (j != null) {
                boolean live;
                synchronized (j) {
                    synchronized (j.sched) {
                        live = !j.done;
                    }
                    if (live) {
                        group.replace(name, content);
                        j.size = Files.size(j.data);
                    }
                }
                if (live) {
                    synchronized (j.sched) {
                        j.failed = false; // a new version gets a new chance
                    }
                    kick(j);
                    return;
                }
            }
            group.replace(name, content);
            Path file = Path.of(group.location(name));
            SpoolRecord rec = newRecord(id);
            rec.key = k;
            rec.localFile = relative(file);
            rec.replaceable = true;
            rec.state = SpoolRecord.State.READY;
            rec.size = Files.size(file);
            rec.save();
            Job nj = new Job(rec, file);
            nj.size = rec.size;
            jobs.put(id, nj);
            kick(nj);
        }

        @Override
        public String location(String name) {
            return "s3://" + bucket + "/" + key(name);
        }
    }
}
