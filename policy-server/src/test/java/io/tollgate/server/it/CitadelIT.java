package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tollgate.citadel.CaState;
import io.tollgate.citadel.CertificateAuthority;
import io.tollgate.citadel.Csr;
import io.tollgate.citadel.KeyType;
import io.tollgate.citadel.Revocations;
import io.tollgate.citadel.SpiffeId;
import io.tollgate.citadel.agent.CertificateFiles;
import io.tollgate.citadel.agent.WorkloadTls;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * citadel-lite end to end, every part its own process where Tollgate ships it as one: {@code
 * tollgate ca}, {@code tollgate ca token}, {@code tollgate agent --once}. Two grpc-java services
 * talk mutual TLS with the agent's files; the callee asks the policy server (ext_authz Check with
 * source.principal, as Envoy would) and a rule lets only the frontend call ratings.
 */
class CitadelIT {
  static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  static final String POLICY =
      """
      kind: Handler
      name: ratings-callers
      adapter: denier
      params: {status: 403, message: "only the frontend may call ratings"}
      ---
      kind: Rule
      name: ratings-from-frontend-only
      match: request.host == "ratings.shop" && source.principal != "%s"
      actions:
      - handler: ratings-callers
      """
          .formatted(FRONTEND);

  @TempDir Path dir;

  static String token(Path state, String ns, String sa) throws Exception {
    ShadedJarIT.Result r =
        ShadedJarIT.run(
            "ca",
            "token",
            "--state-dir",
            state.toString(),
            "--namespace",
            ns,
            "--service-account",
            sa,
            "--ttl",
            "10m");
    assertThat(r.exit()).as(r.out()).isZero();
    String[] lines = r.out().trim().split("\n");
    return lines[lines.length - 1].trim();
  }

  static ShadedJarIT.Result agentOnce(ServerProcess ca, Path state, Path tokenFile, Path out)
      throws Exception {
    return ShadedJarIT.run(
        "agent",
        "--once",
        "--ca-address",
        "127.0.0.1:" + ca.grpcPort,
        "--ca-root",
        state.resolve("root-cert.pem").toString(),
        "--token-file",
        tokenFile.toString(),
        "--out",
        out.toString());
  }

  /** Asks the policy server about every call, with the verified caller as source.principal. */
  static ServerInterceptor askPolicy(TestServer policy, AtomicInteger checks) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SpiffeId caller = WorkloadTls.PEER_IDENTITY.get();
        checks.incrementAndGet();
        CheckResponse answer =
            policy
                .authz
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(
                    EnvoyCheckRequest.http(
                            "POST",
                            "ratings.shop",
                            "/" + call.getMethodDescriptor().getFullMethodName())
                        .principal(caller == null ? "" : caller.toString())
                        .build());
        if (answer.getStatus().getCode() != 0) {
          call.close(
              Status.PERMISSION_DENIED.withDescription(answer.getDeniedResponse().getBody()),
              new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
            next.startCall(call, headers)) {};
      }
    };
  }

  static HealthCheckResponse.ServingStatus call(WorkloadTls tls, int port) {
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", port, tls.channelCredentials()).build();
    try {
      return HealthGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance())
          .getStatus();
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void workloadsTalkMutualTlsAndThePolicySeesTheVerifiedCaller() throws Exception {
    Path state = dir.resolve("ca");
    Path policyDir = Files.createDirectories(dir.resolve("policy"));
    Files.writeString(policyDir.resolve("ratings.yaml"), POLICY);
    List<String> logs = new ArrayList<>();
    try (ServerProcess ca = ServerProcess.ca("--state-dir", state.toString());
        TestServer policy = TestServer.start(policyDir, null, Duration.ZERO)) {
      // The trust bundle is also served on the admin port.
      String bundle =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + ca.adminPort + "/trust-bundle"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(bundle).isEqualTo(Files.readString(state.resolve("root-cert.pem")));

      for (String sa : List.of("frontend", "ratings", "reviews")) {
        Path tokenFile = dir.resolve(sa + ".token");
        Files.writeString(tokenFile, token(state, "shop", sa));
        ShadedJarIT.Result r = agentOnce(ca, state, tokenFile, dir.resolve(sa));
        assertThat(r.exit()).as(r.out()).isZero();
        logs.add(r.out());
        assertThat(Files.getPosixFilePermissions(dir.resolve(sa).resolve("key.pem").toRealPath()))
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      }
      AtomicInteger checks = new AtomicInteger();
      try (WorkloadTls ratingsTls =
              WorkloadTls.watch(
                  new CertificateFiles(dir.resolve("ratings")), Duration.ofSeconds(1));
          WorkloadTls frontend =
              WorkloadTls.watch(
                  new CertificateFiles(dir.resolve("frontend")), Duration.ofSeconds(1));
          WorkloadTls reviews =
              WorkloadTls.watch(
                  new CertificateFiles(dir.resolve("reviews")), Duration.ofSeconds(1))) {
        Server ratings =
            NettyServerBuilder.forAddress(
                    new InetSocketAddress("127.0.0.1", 0), ratingsTls.serverCredentials())
                .addService(
                    ServerInterceptors.intercept(
                        new HealthGrpc.HealthImplBase() {
                          @Override
                          public void check(
                              HealthCheckRequest request,
                              StreamObserver<HealthCheckResponse> response) {
                            response.onNext(
                                HealthCheckResponse.newBuilder()
                                    .setStatus(HealthCheckResponse.ServingStatus.SERVING)
                                    .build());
                            response.onCompleted();
                          }
                        },
                        askPolicy(policy, checks),
                        WorkloadTls.peerIdentity()))
                .build()
                .start();
        int port = ((InetSocketAddress) ratings.getListenSockets().get(0)).getPort();
        try {
          assertThat(call(frontend, port)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
          assertThatThrownBy(() -> call(reviews, port))
              .isInstanceOfSatisfying(
                  StatusRuntimeException.class,
                  e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription())
                        .contains("only the frontend may call ratings");
                  });
          assertThat(checks.get()).isEqualTo(2);

          // A frontend certificate from another CA does not get through the handshake at all.
          Path otherState = dir.resolve("other-ca");
          CaState other = CaState.open(otherState, null, "cluster.local");
          CertificateAuthority otherCa =
              new CertificateAuthority(
                  other,
                  new CertificateAuthority.Settings(
                      "cluster.local", Duration.ofHours(1), Duration.ofHours(1)),
                  new Revocations(otherState),
                  Clock.systemUTC());
          KeyPair key = KeyType.EC_P256.generate();
          SpiffeId fe = SpiffeId.parse(FRONTEND);
          var forged = otherCa.issue(fe, Csr.forIdentity(fe, key), 3600);
          CertificateFiles forgedFiles = new CertificateFiles(dir.resolve("forged"));
          // It trusts the real root, so only the server's side can refuse it.
          forgedFiles.write(
              key.getPrivate(),
              forged.chain().subList(0, forged.chain().size() - 1),
              io.tollgate.citadel.Pem.readCertificates(state.resolve("root-cert.pem")));
          try (WorkloadTls impostor = WorkloadTls.watch(forgedFiles, Duration.ofSeconds(1))) {
            assertThatThrownBy(() -> call(impostor, port))
                .isInstanceOfSatisfying(
                    StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
          }
          assertThat(checks.get()).as("the impostor never reached the service").isEqualTo(2);
        } finally {
          ratings.shutdownNow();
        }
      }
      logs.add(ca.log());
      assertThat(ca.log())
          .contains("tollgate.audit")
          .contains("identity=spiffe://cluster.local/ns/shop/sa/ratings auth=token");
    }

    // No private key material in any log: not the PEM markers, not a line of any key file.
    List<Path> keys =
        new ArrayList<>(List.of(state.resolve("ca-key.pem"), state.resolve("token-key.pem")));
    for (String sa : List.of("frontend", "ratings", "reviews")) {
      keys.add(dir.resolve(sa).resolve("key.pem"));
    }
    for (String log : logs) {
      assertThat(log).doesNotContain("PRIVATE KEY");
      for (Path k : keys) {
        for (String line : Files.readAllLines(k)) {
          if (!line.startsWith("-----")) {
            assertThat(log).as("a line of %s", k).doesNotContain(line);
          }
        }
      }
    }
  }

  @Test
  void serveAllRunsTheCaAndPilotBesideThePolicyServer() throws Exception {
    Path state = dir.resolve("ca");
    Path mesh = Files.createDirectories(dir.resolve("mesh"));
    Files.writeString(
        mesh.resolve("mesh.yaml"),
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ratings, namespace: shop}
        spec:
          hosts: [ratings.shop]
          ports: [{number: 9080, name: http}]
          endpoints: [{address: 127.0.0.1}]
        """);
    try (ServerProcess all =
        ServerProcess.start(
            "--all",
            "--ca-port",
            "0",
            "--ca-state-dir",
            state.toString(),
            "--mesh",
            mesh.toString(),
            "--xds-port",
            "0")) {
      var m =
          java.util.regex.Pattern.compile(
                  "tollgate ca: trust domain cluster.local, CSR API on 127\\.0\\.0\\.1:(\\d+)")
              .matcher(all.log());
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> m.reset(all.log()).find());
      int caPort = Integer.parseInt(m.group(1));
      Path tokenFile = dir.resolve("t");
      Files.writeString(tokenFile, token(state, "shop", "cart"));
      ShadedJarIT.Result r =
          ShadedJarIT.run(
              "agent",
              "--once",
              "--ca-address",
              "127.0.0.1:" + caPort,
              "--ca-root",
              state.resolve("root-cert.pem").toString(),
              "--token-file",
              tokenFile.toString(),
              "--out",
              dir.resolve("cart").toString());
      assertThat(r.exit()).as(r.out()).isZero();
      String metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + all.adminPort + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(metrics)
          .contains("tollgate_ca_certificates_issued_total{auth=\"token\"} 1.0")
          .contains("tollgate_pilot_pushes_total 1.0");
      assertThat(all.log())
          .containsPattern(
              "tollgate pilot: xDS on 127\\.0\\.0\\.1:\\d+, mesh .* version [0-9a-f]{16}");
    }
  }
}
