package io.capstan.examples.cli;

import io.capstan.storage.s3.S3Credentials;
import io.capstan.storage.s3.S3Sink;
import io.capstan.storage.s3.UploadEvent;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * S3 upload settings of the CLI: flags win over the environment ({@code UPLOAD_RECORDINGS}, {@code S3_*},
 * {@code DELETE_RECORDING_AFTER_UPLOAD}). Secrets come only from the environment ({@code S3_ACCESS_KEY},
 * {@code S3_SECRET_KEY}, {@code S3_SESSION_TOKEN}) or a credentials file, never from flags (they would show in the
 * process list); without either, the AWS SDK's default provider chain is used.
 */
final class S3Options {

    static final Duration DEFAULT_UPLOAD_TIMEOUT = Duration.ofMinutes(5);

    String bucket;
    String endpoint;
    String region = "us-east-1";
    String prefix = "";
    boolean pathStyle;
    boolean useSsl = true;
    boolean deleteAfterUpload;
    S3Credentials credentials = S3Credentials.defaultChain();
    Duration uploadTimeout = DEFAULT_UPLOAD_TIMEOUT;

    /**
     * The settings, or null when uploading is not asked for (no {@code --s3-bucket} and {@code UPLOAD_RECORDINGS}
     * not true). With {@code forUpload} ({@code capstan upload}) the bucket may be left out: each spooled record
     * names its own.
     */
    static S3Options from(Map<String, String> o, Map<String, String> env, boolean forUpload) throws CliException {
        boolean enabled = forUpload || o.containsKey("--s3-bucket") || o.containsKey("--s3-endpoint")
                || bool(env, "UPLOAD_RECORDINGS", false);
        if (!enabled) {
            return null;
        }
        S3Options s = new S3Options();
        s.bucket = pick(o, "--s3-bucket", env, "S3_BUCKET");
        if (s.bucket == null && !forUpload) {
            throw new CliException(2, "uploading needs a bucket: --s3-bucket or S3_BUCKET");
        }
        s.endpoint = pick(o, "--s3-endpoint", env, "S3_ENDPOINT");
        String region = pick(o, "--s3-region", env, "S3_REGION");
        if (region != null) {
            s.region = region;
        }
        String prefix = pick(o, "--s3-prefix", env, "S3_PREFIX");
        if (prefix != null) {
            s.prefix = prefix;
        }
        s.pathStyle = o.containsKey("--s3-path-style") || bool(env, "S3_PATH_STYLE", false);
        s.useSsl = bool(env, "S3_USE_SSL", true);
        s.deleteAfterUpload = o.containsKey("--delete-after-upload") || bool(env, "DELETE_RECORDING_AFTER_UPLOAD", false);
        if (o.containsKey("--upload-timeout")) {
            s.uploadTimeout = CapstanCli.parseDuration(o.get("--upload-timeout"));
        }
        String file = o.get("--s3-credentials-file");
        try {
            if (file != null) {
                s.credentials = S3Credentials.fromFile(Path.of(file));
            } else {
                s.credentials = S3Credentials.fromEnvironment(env).orElse(S3Credentials.defaultChain());
            }
        } catch (IOException e) {
            throw new CliException(1, "cannot read S3 credentials: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new CliException(2, e.getMessage());
        }
        return s;
    }

    private static String pick(Map<String, String> o, String flag, Map<String, String> env, String var) {
        String v = o.get(flag);
        if (v == null || v.isBlank()) {
            v = env.get(var);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static boolean bool(Map<String, String> env, String var, boolean dflt) throws CliException {
        String v = env.get(var);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new CliException(2, var + " must be true or false, not '" + v + "'");
        };
    }

    /** A sink spooling to {@code spool}, reporting uploads on {@code out} and problems on {@code err}. */
    S3Sink open(Path spool, String fallbackBucket, PrintStream out, PrintStream err) throws CliException {
        S3Sink.Builder b = S3Sink.builder()
                .bucket(bucket != null ? bucket : fallbackBucket)
                .region(region)
                .endpoint(endpoint)
                .pathStyle(pathStyle)
                .useSsl(useSsl)
                .prefix(prefix)
                .credentials(credentials)
                .spool(spool)
                .deleteAfterUpload(deleteAfterUpload)
                .backoff(Duration.ofMillis(500), Duration.ofSeconds(30))
                .listener(e -> report(e, out, err));
        try {
            return b.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException(1, "cannot start uploading: " + credentials.redact(String.valueOf(e.getMessage())));
        }
    }

    private static void report(UploadEvent e, PrintStream out, PrintStream err) {
        if (e instanceof UploadEvent.Uploaded u) {
            out.println("uploaded " + u.location() + " (" + u.bytes() + " bytes, sha256 " + u.sha256()
                    + (u.localFileDeleted() ? ", local file deleted" : "") + ")");
        } else if (e instanceof UploadEvent.Retrying r) {
            err.println("capstan: warning: upload of " + r.key() + " failed (attempt " + r.attempt() + "), retrying in "
                    + r.delay().toMillis() + " ms: " + r.reason());
        } else if (e instanceof UploadEvent.Failed f) {
            err.println("capstan: upload of " + f.key() + " failed: " + f.reason());
        } else if (e instanceof UploadEvent.SpoolFull f) {
            err.println("capstan: " + f.reason());
        }
    }
}
