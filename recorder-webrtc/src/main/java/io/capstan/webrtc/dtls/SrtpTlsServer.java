package io.capstan.webrtc.dtls;

import io.capstan.webrtc.DtlsFingerprint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.AlertLevel;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.ExporterLabel;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsSRTPUtils;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.UseSRTPData;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Bouncy Castle server side of one DTLS-SRTP handshake (RFC 5763, RFC 5764): DTLS 1.2 only, ECDHE-ECDSA
 * suites, extended master secret required (Bouncy Castle exports keys only with it, RFC 7627 section 5.4), a
 * client certificate required and checked against the offer's {@code a=fingerprint}, the SRTP profile picked by
 * Capstan's preference from the browser's {@code use_srtp} list, and the SRTP keys exported when it completes.
 *
 * <p>Why a handshake failed is kept in {@link #failure()}, since Bouncy Castle reports only the alert.
 */
final class SrtpTlsServer extends DefaultTlsServer {

    private static final Logger LOG = LoggerFactory.getLogger(SrtpTlsServer.class);

    /** Chromium's and Firefox's ECDHE-ECDSA suites, AEAD first. */
    private static final int[] CIPHER_SUITES = {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    };

    private final DtlsCertificate certificate;
    private final DtlsFingerprint expected;
    private final int handshakeTimeoutMillis;
    private volatile String failure;
    private volatile SrtpProfile profile;
    private volatile SrtpKeys keys;
    private volatile short alertReceived = -1;
    private volatile boolean alertFatal;

    SrtpTlsServer(BcTlsCrypto crypto, DtlsCertificate certificate, DtlsFingerprint expected,
                  int handshakeTimeoutMillis) {
        super(crypto);
        this.certificate = certificate;
        this.expected = expected;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    /** Why the handshake failed on our side, or {@code null}. */
    String failure() {
        return failure;
    }

    /** The SRTP keys, once the handshake completed. */
    SrtpKeys keys() {
        return keys;
    }

    /** The last alert the browser sent (an {@link AlertDescription}), or -1. */
    short alertReceived() {
        return alertReceived;
    }

    boolean alertFatal() {
        return alertFatal;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.DTLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return TlsUtils.getSupportedCipherSuites(getCrypto(), CIPHER_SUITES);
    }

    @Override
    protected boolean preferLocalCipherSuites() {
        return true;
    }

    @Override
    public boolean requiresExtendedMasterSecret() {
        return true;
    }

    @Override
    public int getHandshakeTimeoutMillis() {
        return handshakeTimeoutMillis;
    }

    @Override
    protected TlsCredentialedSigner getECDSASignerCredentials() throws IOException {
        return certificate.signer(context, (BcTlsCrypto) getCrypto());
    }

    @Override
    public CertificateRequest getCertificateRequest() {
        return new CertificateRequest(new short[] {ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign},
                TlsUtils.getDefaultSupportedSignatureAlgorithms(context), null);
    }

    @Override
    public void notifyClientCertificate(Certificate chain) throws IOException {
        if (chain == null || chain.isEmpty()) {
            throw fail(AlertDescription.handshake_failure, "the browser sent no DTLS certificate (a=fingerprint "
                    + expected.attributeValue() + " expects one)");
        }
        byte[] endEntity = chain.getCertificateAt(0).getEncoded();
        if (!Fingerprints.matches(expected, endEntity)) {
            throw fail(AlertDescription.bad_certificate, "the browser's DTLS certificate does not match a=fingerprint "
                    + expected.attributeValue() + " (its fingerprint is " + Fingerprints.describe(expected, endEntity)
                    + ")");
        }
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void processClientExtensions(Hashtable clientExtensions) throws IOException {
        super.processClientExtensions(clientExtensions);
        UseSRTPData offered = TlsSRTPUtils.getUseSRTPExtension(clientExtensions);
        if (offered == null) {
            throw fail(AlertDescription.handshake_failure,
                    "the browser did not offer DTLS-SRTP (no use_srtp extension in its ClientHello)");
        }
        profile = choose(offered.getProtectionProfiles());
        if (profile == null) {
            throw fail(AlertDescription.handshake_failure, "no SRTP protection profile in common: the browser offers "
                    + describe(offered.getProtectionProfiles()) + ", Capstan supports "
                    + describe(new int[] {SrtpProfile.AEAD_AES_128_GCM.id(), SrtpProfile.AES128_CM_HMAC_SHA1_80.id()}));
        }
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Hashtable getServerExtensions() throws IOException {
        Hashtable extensions = super.getServerExtensions();
        // RFC 5764 section 4.1.1: one profile; no MKI (browsers send none and expect none)
        TlsSRTPUtils.addUseSRTPExtension(extensions, new UseSRTPData(new int[] {profile.id()}, TlsUtils.EMPTY_BYTES));
        return extensions;
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        // RFC 5764 section 4.2: the keying material exporter (RFC 5705) with the label EXTRACTOR-dtls_srtp
        byte[] material = context.exportKeyingMaterial(ExporterLabel.dtls_srtp, null,
                SrtpKeys.materialLength(profile));
        keys = SrtpKeys.fromKeyingMaterial(profile, material);
    }

    @Override
    public void notifyAlertReceived(short alertLevel, short alertDescription) {
        alertReceived = alertDescription;
        alertFatal = alertLevel == AlertLevel.fatal;
        LOG.debug("DTLS alert from the browser: {} {}", AlertLevel.getText(alertLevel),
                AlertDescription.getText(alertDescription));
    }

    @Override
    public void notifyAlertRaised(short alertLevel, short alertDescription, String message, Throwable cause) {
        LOG.debug("DTLS alert to the browser: {} {}{}", AlertLevel.getText(alertLevel),
                AlertDescription.getText(alertDescription), message == null ? "" : " (" + message + ")");
    }

    private TlsFatalAlert fail(short alert, String reason) {
        failure = reason;
        return new TlsFatalAlert(alert, reason);
    }

    private static SrtpProfile choose(int[] offered) {
        for (SrtpProfile p : SrtpProfile.values()) {
            for (int id : offered) {
                if (id == p.id()) {
                    return p;
                }
            }
        }
        return null;
    }

    private static String describe(int[] offered) {
        List<String> names = new ArrayList<>();
        for (int id : offered) {
            SrtpProfile p = SrtpProfile.byId(id);
            names.add(p != null ? p.specName() : String.format(Locale.ROOT, "0x%04X", id));
        }
        return names.toString();
    }
}
