package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tollgate.citadel.Pem;
import io.tollgate.testing.Closeables;
import io.tollgate.testing.EchoUpstream;
import io.tollgate.testing.EnvoyLauncher;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.Processes;
import io.tollgate.testing.ProxyClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS between two real Envoy sidecars configured by pilot-lite ({@code DestinationRule
 * tls.mode: ISTIO_MUTUAL}), with certificates from {@code tollgate ca} delivered by two {@code
 * tollgate agent --sds-socket} processes: a rule on {@code source.principal} lets the frontend call
 * ratings and denies reviews, which holds a valid mesh certificate too; a caller without a
 * certificate does not get through the TLS handshake.
 */
class EnvoyMutualTlsIT {
  static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  static final String POLICY =
      """
      kind: Handler
      name: ratings-callers
      adapter: denier
      params: {status: 403, message: only the frontend may call ratings}
      ---
      kind: Rule
      name: ratings-from-frontend-only
      match: destination.service.host == "ratings.shop" && source.principal != "%s"
      actions:
      - handler: ratings-callers
      ---
      kind: Rule
      name: tag-caller
      requestHeaderOperations:
      - name: x-tollgate-caller
        values: ['source.principal == "" ? "anonymous" : source.principal']
      """
          .formatted(FRONTEND);

  @TempDir static Path dir;
  static ServerProcess all;
  static final List<Process> agents = new ArrayList<>();
  static EchoUpstream ratingsApp;
  static EnvoyLauncher frontend;
  static EnvoyLauncher ratings;
  static int frontendOut;
  static int ratingsIn;
  static Path state;

  static int logged(Pattern p) {
    Matcher m = p.matcher("");
    await().atMost(Duration.ofSeconds(60)).until(() -> m.reset(all.log()).find());
    return Integer.parseInt(m.group(1));
  }

  /** Starts {@code tollgate agent --sds-socket} for {@code sa} and waits for its socket. */
  static Path agent(int caPort, String sa) throws Exception {
    Path tokenFile = dir.resolve(sa + ".token");
    Files.writeString(tokenFile, CitadelIT.token(state, "shop", sa));
    Path socket = dir.resolve(sa + ".sock");
    Path log = dir.resolve(sa + "-agent.log");
    Process p =
        new ProcessBuilder(
                ShadedJarIT.java(
                    "agent",
                    "--ca-address",
                    "127.0.0.1:" + caPort,
                    "--ca-root",
                    state.resolve("root-cert.pem").toString(),
                    "--token-file",
                    tokenFile.toString(),
                    "--out",
                    dir.resolve(sa).toString(),
                    "--sds-socket",
                    socket.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    agents.add(p);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              assertThat(p.isAlive())
                  .as("agent for %s exited:\n%s", sa, Files.readString(log))
                  .isTrue();
              return Files.readString(log).contains("SDS serving");
            });
    return socket;
  }

  @BeforeAll
  static void start() throws Exception {
    state = dir.resolve("ca");
    Path policyDir = Files.createDirectories(dir.resolve("policy"));
    Files.writeString(policyDir.resolve("ratings.yaml"), POLICY);
    ratingsApp = new EchoUpstream();
    frontendOut = FreePorts.next();
    ratingsIn = FreePorts.next();
    Path mesh = Files.createDirectories(dir.resolve("mesh"));
    Files.writeString(
        mesh.resolve("mesh.yaml"),
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ratings, namespace: shop}
        spec:
          hosts: [ratings.shop]
          ports: [{number: 9080, name: http, targetPort: %d}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: ratings, namespace: shop}
        spec:
          host: ratings.shop
          trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: frontend, namespace: shop}
        spec:
          hosts: [frontend.shop]
          ports: [{number: 9080, name: http}]
          endpoints: [{address: 127.0.0.1}]
        """
            .formatted(ratingsApp.port(), ratingsIn));
    all =
        ServerProcess.start(
            "--all",
            "--policy",
            policyDir.toString(),
            "--ca-port",
            "0",
            "--ca-state-dir",
            state.toString(),
            "--mesh",
            mesh.toString(),
            "--xds-port",
            "0",
            "--reveal-rule",
            "true");
    int caPort =
        logged(
            Pattern.compile(
                "tollgate ca: trust domain cluster.local, CSR API on 127\\.0\\.0\\.1:(\\d+)"));
    int xdsPort = logged(Pattern.compile("tollgate pilot: xDS on 127\\.0\\.0\\.1:(\\d+)"));
    Path frontendSds = agent(caPort, "frontend");
    Path ratingsSds = agent(caPort, "ratings");
    Path reviewsToken = dir.resolve("reviews.token");
    Files.writeString(reviewsToken, CitadelIT.token(state, "shop", "reviews"));
    ShadedJarIT.Result reviews =
        ShadedJarIT.run(
            "agent",
            "--once",
            "--ca-address",
            "127.0.0.1:" + caPort,
            "--ca-root",
            state.resolve("root-cert.pem").toString(),
            "--token-file",
            reviewsToken.toString(),
            "--out",
            dir.resolve("reviews").toString());
    assertThat(reviews.exit()).as(reviews.out()).isZero();
    frontend =
        EnvoyLauncher.start(
            SidecarBootstrap.of(
                "sidecar~127.0.0.1~frontend-1.shop~shop.svc.cluster.local",
                "frontend.shop",
                FreePorts.next(),
                frontendOut,
                xdsPort,
                frontendSds));
    ratings =
        EnvoyLauncher.start(
            SidecarBootstrap.of(
                "sidecar~127.0.0.1~ratings-1.shop~shop.svc.cluster.local",
                "ratings.shop",
                ratingsIn,
                FreePorts.next(),
                xdsPort,
                ratingsSds));
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(frontend, ratings, ratingsApp);
    agents.forEach(p -> Processes.stop(p, Duration.ofSeconds(10)));
    if (all != null) {
      all.close();
    }
  }

  @Test
  void theFrontendsSidecarIsAllowedWithItsVerifiedIdentity() {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              HttpResponse<String> r =
                  ProxyClient.get(frontendOut, "ratings.shop:9080", "/ratings/1");
              assertThat(r.statusCode())
                  .as("%s\nfrontend:\n%s\nratings:\n%s", r.body(), frontend.log(), ratings.log())
                  .isEqualTo(200);
              assertThat(r.body()).contains("x-tollgate-caller: " + FRONTEND);
            });
    assertThat(ratings.stat("http.inbound.ext_authz.error")).isZero();
    assertThat(ratings.stat("listener.127.0.0.1_" + ratingsIn + ".ssl.handshake")).isPositive();
  }

  @Test
  void anotherWorkloadWithAValidCertificateIsDeniedByTheRule() throws Exception {
    String answer = httpsWithCertificate(dir.resolve("reviews"), "ratings.shop");
    assertThat(answer)
        .startsWith("HTTP/1.1 403")
        .containsIgnoringCase("x-tollgate-rule: ratings-from-frontend-only");
    String forged = httpsWithCertificate(dir.resolve("reviews"), "frontend.shop");
    assertThat(forged)
        .as("the Host header does not change who is protected")
        .startsWith("HTTP/1.1 403");
  }

  @Test
  void aCallerWithoutACertificateIsRefusedAtTheHandshake() {
    String answer;
    try {
      answer = httpsWithCertificate(null, "ratings.shop");
    } catch (Exception e) {
      answer = "";
    }
    assertThat(answer).as("no HTTP answer without a client certificate").isEmpty();
    ratings.awaitStat(
        "listener.127.0.0.1_" + ratingsIn + ".ssl.fail_verify_no_cert",
        v -> v > 0,
        Duration.ofSeconds(10));
    assertThatThrownBy(() -> ProxyClient.get(ratingsIn, "ratings.shop", "/ratings/1"))
        .as("plain text is not served")
        .isInstanceOf(RuntimeException.class);
  }

  /**
   * One HTTP/1.1 request over TLS to the ratings sidecar, with the workload files in {@code certs}
   * (or none).
   */
  static String httpsWithCertificate(Path certs, String host) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int i = 0;
    for (X509Certificate c : Pem.readCertificates(state.resolve("root-cert.pem"))) {
      trust.setCertificateEntry("root" + i++, c);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    if (certs != null) {
      keys.setKeyEntry(
          "workload",
          Pem.readPrivateKey(certs.resolve("key.pem")),
          new char[0],
          Pem.readCertificates(certs.resolve("cert-chain.pem")).toArray(X509Certificate[]::new));
    }
    kmf.init(keys, new char[0]);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", ratingsIn)) {
      s.setSoTimeout(15_000);
      s.startHandshake();
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /ratings/1 HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
