package io.capstan.webrtc.dtls;

import java.io.IOException;
import java.util.Hashtable;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.ExporterLabel;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsSRTPUtils;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.UseSRTPData;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

/**
 * Plays the browser: a Bouncy Castle DTLS 1.2 client with its own certificate (or none), offering use_srtp, that
 * exports the SRTP keys the way a browser does.
 */
final class TestDtlsClient extends DefaultTlsClient {

    private final DtlsCertificate certificate;
    private final int[] offeredProfiles;
    volatile byte[] serverCertificate;
    volatile SrtpProfile profile;
    volatile SrtpKeys keys;
    volatile short alertReceived = -1;

    /** @param certificate the client's certificate, or {@code null} to send an empty Certificate message */
    TestDtlsClient(DtlsCertificate certificate, SrtpProfile... offered) {
        this(certificate, java.util.Arrays.stream(offered).mapToInt(SrtpProfile::id).toArray());
    }

    /** Offers these raw use_srtp profile ids. */
    TestDtlsClient(DtlsCertificate certificate, int[] offeredIds) {
        super(new BcTlsCrypto());
        this.certificate = certificate;
        this.offeredProfiles = offeredIds.clone();
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.DTLSv12.only();
    }

    @Override
    public int getHandshakeTimeoutMillis() {
        return 10_000;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Hashtable getClientExtensions() throws IOException {
        Hashtable extensions = super.getClientExtensions();
        TlsSRTPUtils.addUseSRTPExtension(extensions, new UseSRTPData(offeredProfiles, TlsUtils.EMPTY_BYTES));
        return extensions;
    }

    @Override
    @SuppressWarnings("rawtypes")
    public void processServerExtensions(Hashtable serverExtensions) throws IOException {
        super.processServerExtensions(serverExtensions);
        UseSRTPData chosen = TlsSRTPUtils.getUseSRTPExtension(serverExtensions);
        profile = SrtpProfile.byId(chosen.getProtectionProfiles()[0]);
    }

    @Override
    public TlsAuthentication getAuthentication() {
        return new TlsAuthentication() {
            @Override
            public void notifyServerCertificate(TlsServerCertificate server) throws IOException {
                serverCertificate = server.getCertificate().getCertificateAt(0).getEncoded();
            }

            @Override
            public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                return certificate == null ? null : certificate.signer(context, (BcTlsCrypto) getCrypto());
            }
        };
    }

    @Override
    public void notifyAlertReceived(short alertLevel, short alertDescription) {
        alertReceived = alertDescription;
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        keys = SrtpKeys.fromKeyingMaterial(profile,
                context.exportKeyingMaterial(ExporterLabel.dtls_srtp, null, SrtpKeys.materialLength(profile)));
    }
}
