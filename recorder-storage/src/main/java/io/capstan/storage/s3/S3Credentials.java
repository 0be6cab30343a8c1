package io.capstan.storage.s3;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Credentials for an S3 store: a static access key and secret (optionally with a session token), or the AWS SDK's
 * default provider chain (environment, profile, container/instance roles). The secret parts never leave this
 * object in text: {@link #toString()} is redacted, and {@link #redact(String)} scrubs them from any message
 * (error texts of the store or the transport) before it reaches a log, an exception or an event.
 */
public final class S3Credentials {

    private static final S3Credentials DEFAULT_CHAIN = new S3Credentials(null, null, null);

    private final String accessKeyId;
    private final String secretAccessKey;
    private final String sessionToken;

    private S3Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
        this.accessKeyId = accessKeyId;
        this.secretAccessKey = secretAccessKey;
        this.sessionToken = sessionToken;
    }

    /** Static credentials. */
    public static S3Credentials of(String accessKeyId, String secretAccessKey) {
        return of(accessKeyId, secretAccessKey, null);
    }

    /** Static credentials with a session token (temporary credentials); a null or blank token means none. */
    public static S3Credentials of(String accessKeyId, String secretAccessKey, String sessionToken) {
        if (accessKeyId == null || accessKeyId.isBlank() || secretAccessKey == null || secretAccessKey.isBlank()) {
            throw new IllegalArgumentException("an access key id and a secret access key are both required");
        }
        return new S3Credentials(accessKeyId.trim(), secretAccessKey.trim(),
                sessionToken == null || sessionToken.isBlank() ? null : sessionToken.trim());
    }

    /** The AWS SDK's default provider chain (AWS_ACCESS_KEY_ID..., ~/.aws, instance and container roles). */
    public static S3Credentials defaultChain() {
        return DEFAULT_CHAIN;
    }

    /**
     * {@code S3_ACCESS_KEY} + {@code S3_SECRET_KEY} (+ {@code S3_SESSION_TOKEN}) from an environment map; empty when
     * neither key is set.
     *
     * @throws IllegalArgumentException when only one of the two is set
     */
    public static Optional<S3Credentials> fromEnvironment(Map<String, String> env) {
        String id = env.get("S3_ACCESS_KEY");
        String secret = env.get("S3_SECRET_KEY");
        if ((id == null || id.isBlank()) && (secret == null || secret.isBlank())) {
            return Optional.empty();
        }
        if (id == null || id.isBlank() || secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("S3_ACCESS_KEY and S3_SECRET_KEY must be set together");
        }
        return Optional.of(of(id, secret, env.get("S3_SESSION_TOKEN")));
    }

    /**
     * Reads a properties file with {@code access_key} and {@code secret_key} (and optionally {@code session_token});
     * the AWS names {@code aws_access_key_id}, {@code aws_secret_access_key}, {@code aws_session_token} work too.
     * An error names the file, never its content.
     */
    public static S3Credentials fromFile(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        String id = first(p, "access_key", "aws_access_key_id", "S3_ACCESS_KEY");
        String secret = first(p, "secret_key", "aws_secret_access_key", "S3_SECRET_KEY");
        if (id == null || secret == null) {
            throw new IOException("credentials file " + file + " needs access_key and secret_key");
        }
        return of(id, secret, first(p, "session_token", "aws_session_token", "S3_SESSION_TOKEN"));
    }

    private static String first(Properties p, String... names) {
        for (String n : names) {
            String v = p.getProperty(n);
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }

    /** True for {@link #defaultChain()}. */
    public boolean isDefaultChain() {
        return accessKeyId == null;
    }

    boolean hasSessionToken() {
        return sessionToken != null;
    }

    AwsCredentialsProvider provider() {
        if (isDefaultChain()) {
            return DefaultCredentialsProvider.create();
        }
        return StaticCredentialsProvider.create(sessionToken == null
                ? AwsBasicCredentials.create(accessKeyId, secretAccessKey)
                : AwsSessionCredentials.create(accessKeyId, secretAccessKey, sessionToken));
    }

    /** Replaces every occurrence of the secret key, the session token and the access key id in {@code text}. */
    public String redact(String text) {
        if (text == null || isDefaultChain()) {
            return text;
        }
        String t = text.replace(secretAccessKey, "[redacted]");
        if (sessionToken != null) {
            t = t.replace(sessionToken, "[redacted]");
        }
        return t.replace(accessKeyId, "[access key]");
    }

    @Override
    public String toString() {
        return isDefaultChain() ? "S3Credentials[default provider chain]"
                : "S3Credentials[static" + (sessionToken != null ? ", with session token" : "") + ", redacted]";
    }
}
