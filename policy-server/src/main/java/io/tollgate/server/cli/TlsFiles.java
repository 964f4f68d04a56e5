package io.tollgate.server.cli;

import io.tollgate.citadel.Pem;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** A server TLS context from a PEM certificate chain and its PEM private key. */
final class TlsFiles {
  private TlsFiles() {}

  static SSLContext serverContext(Path certChain, Path key) throws IOException {
    try {
      List<X509Certificate> chain = Pem.readCertificates(certChain);
      PrivateKey privateKey = Pem.readPrivateKey(key);
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0];
      store.setKeyEntry("server", privateKey, password, chain.toArray(X509Certificate[]::new));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, password);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(kmf.getKeyManagers(), null, null);
      return tls;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException(
          "cannot use " + certChain + " and " + key + " for TLS: " + e.getMessage(), e);
    }
  }
}
