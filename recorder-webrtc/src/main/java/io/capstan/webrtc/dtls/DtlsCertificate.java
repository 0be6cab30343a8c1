package io.capstan.webrtc.dtls;

import io.capstan.webrtc.DtlsFingerprint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.operator.DefaultDigestAlgorithmIdentifierFinder;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcECContentSignerBuilder;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * Capstan's DTLS identity: a self-signed ECDSA P-256 certificate (what browsers themselves use for WebRTC) and its
 * private key. Nobody validates the chain: the browser checks the certificate against the SHA-256
 * {@link #fingerprint()} that the SDP answer carries (RFC 8122, RFC 8842), so one certificate can serve every
 * session of a process. It is valid from 30 days before its creation to 30 days after by default, so clock skew
 * on either side never makes it "not yet valid"; a process running longer should make a new one now and then.
 */
public final class DtlsCertificate {

    /** How long before and after its creation a certificate is valid by default. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(30);

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final SignatureAndHashAlgorithm ECDSA_SHA256 =
            SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

    private final byte[] encoded;
    private final AsymmetricKeyParameter privateKey;
    private final DtlsFingerprint fingerprint;
    private final Instant notAfter;

    private DtlsCertificate(byte[] encoded, AsymmetricKeyParameter privateKey, Instant notAfter) {
        this.encoded = encoded;
        this.privateKey = privateKey;
        this.notAfter = notAfter;
        this.fingerprint = DtlsFingerprint.sha256(sha256(encoded));
    }

    /** A new key pair and certificate, valid {@link #DEFAULT_VALIDITY} before and after now. */
    public static DtlsCertificate generate() {
        return generate(Instant.now(), DEFAULT_VALIDITY);
    }

    /** A new key pair and certificate valid from {@code now - validity} to {@code now + validity}. */
    public static DtlsCertificate generate(Instant now, Duration validity) {
        ECKeyPairGenerator generator = new ECKeyPairGenerator();
        generator.init(new ECKeyGenerationParameters(new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1,
                ECNamedCurveTable.getByOID(SECObjectIdentifiers.secp256r1)), RANDOM));
        AsymmetricCipherKeyPair keys = generator.generateKeyPair();
        try {
            SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(keys.getPublic());
            X500Name name = new X500Name("CN=capstan");
            Instant notAfter = now.plus(validity);
            X509v3CertificateBuilder builder = new X509v3CertificateBuilder(name,
                    new BigInteger(63, RANDOM).add(BigInteger.ONE), Date.from(now.minus(validity)),
                    Date.from(notAfter), name, publicKey);
            AlgorithmIdentifier signature = new DefaultSignatureAlgorithmIdentifierFinder().find("SHA256withECDSA");
            AlgorithmIdentifier digest = new DefaultDigestAlgorithmIdentifierFinder().find(signature);
            byte[] encoded = builder.build(new BcECContentSignerBuilder(signature, digest).build(keys.getPrivate()))
                    .getEncoded();
            return new DtlsCertificate(encoded, keys.getPrivate(), notAfter);
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode the DTLS certificate", e);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("could not sign the DTLS certificate", e);
        }
    }

    /** The {@code a=fingerprint} of this certificate for the SDP answer: SHA-256 of its DER encoding. */
    public DtlsFingerprint fingerprint() {
        return fingerprint;
    }

    /** When the certificate stops being valid. */
    public Instant notAfter() {
        return notAfter;
    }

    /** The DER encoding of the X.509 certificate. */
    public byte[] encoded() {
        return encoded.clone();
    }

    /** The certificate and key as the DTLS credentials of one handshake. */
    TlsCredentialedSigner signer(TlsContext context, BcTlsCrypto crypto) throws IOException {
        TlsCertificate certificate = crypto.createCertificate(encoded);
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, privateKey,
                new Certificate(new TlsCertificate[] {certificate}), ECDSA_SHA256);
    }

    @Override
    public String toString() {
        return "DtlsCertificate[" + fingerprint.attributeValue() + ", until " + notAfter + "]";
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
