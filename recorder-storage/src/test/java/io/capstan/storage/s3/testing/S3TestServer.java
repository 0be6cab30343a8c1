package io.capstan.storage.s3.testing;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.ListContainerOptions;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Properties;
import java.util.TreeSet;

/**
 * A real S3 server for tests: S3Proxy (Maven Central {@code org.gaul:s3proxy}) over a jclouds filesystem blobstore
 * in a directory, with AWS signature v4 authentication, on a fixed loopback port so it can be stopped and started
 * again (an outage) with its data intact. Objects are read back through the blobstore itself, not through the
 * S3 client under test.
 */
public final class S3TestServer implements AutoCloseable {

    public static final String ACCESS_KEY = "capstan-test-access";
    public static final String SECRET_KEY = "capstan-test-secret-0123456789";

    private final Path dir;
    private final int port;
    private final String accessKey;
    private final String secretKey;
    private BlobStoreContext context;
    private S3Proxy proxy;

    public S3TestServer(Path dir) throws Exception {
        this(dir, ACCESS_KEY, SECRET_KEY);
    }

    public S3TestServer(Path dir, String accessKey, String secretKey) throws Exception {
        this.dir = dir;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.port = freePort();
        start();
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public synchronized void start() throws Exception {
        if (proxy != null) {
            return;
        }
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", dir.toString());
        context = ContextBuilder.newBuilder("filesystem").credentials("identity", "credential").overrides(p)
                .build(BlobStoreContext.class);
        S3Proxy s = S3Proxy.builder().blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        s.start();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!"STARTED".equals(s.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + s.getState());
            }
            Thread.sleep(10);
        }
        proxy = s;
    }

    /** Stops the server (connections are closed); the data stays in the directory. */
    public synchronized void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    private synchronized BlobStore store() {
        if (context == null) {
            throw new IllegalStateException("never started");
        }
        return context.getBlobStore();
    }

    public void createBucket(String bucket) {
        store().createContainerInLocation(null, bucket);
    }

    /** Stores an object directly in the backing store (as an earlier run or another writer would have). */
    public void putObject(String bucket, String key, byte[] content) {
        BlobStore s = store();
        s.putBlob(bucket, s.blobBuilder(key).payload(content).contentLength(content.length).build());
    }

    /** The object's bytes, or null when there is none. */
    public byte[] object(String bucket, String key) throws IOException {
        Blob b = store().getBlob(bucket, key);
        if (b == null) {
            return null;
        }
        try (InputStream in = b.getPayload().openStream()) {
            return in.readAllBytes();
        }
    }

    /** Hex SHA-256 of the object, or null when there is none. */
    public String sha256(String bucket, String key) throws Exception {
        byte[] b = object(bucket, key);
        return b == null ? null : sha256(b);
    }

    public static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Every object key in the bucket (multipart upload stubs of the filesystem store included, if any). */
    public TreeSet<String> keys(String bucket) {
        TreeSet<String> keys = new TreeSet<>();
        String marker = null;
        do {
            ListContainerOptions o = ListContainerOptions.Builder.recursive();
            if (marker != null) {
                o.afterMarker(marker);
            }
            var page = store().list(bucket, o);
            for (StorageMetadata m : page) {
                if (m.getType() == org.jclouds.blobstore.domain.StorageType.BLOB) {
                    keys.add(m.getName());
                }
            }
            marker = page.getNextMarker();
        } while (marker != null);
        return keys;
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            stop();
        } catch (Exception e) {
            throw new IOException("S3Proxy did not stop", e);
        } finally {
            if (context != null) {
                context.close();
                context = null;
            }
        }
    }
}
