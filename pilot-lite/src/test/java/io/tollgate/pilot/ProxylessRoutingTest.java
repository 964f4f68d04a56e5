package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.pilot.test.GreeterGrpc;
import io.tollgate.pilot.test.HelloRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * grpc-java's own xDS client (proxyless gRPC, {@code xds:///} targets) configured by pilot-lite
 * alone: weighted routes, header matches, fault abort and delay, retries, and a file edit that
 * shifts traffic while clients run. Greeter v1, v2 and a flaky one are plain gRPC servers on
 * loopback, listed as endpoints of ServiceEntries.
 */
class ProxylessRoutingTest {
  static final String HOSTS =
      "greeter.shop greeter-fault.shop greeter-delay.shop greeter-retry.shop greeter-noretry.shop";
  static final String GREETER_ID = "spiffe://cluster.local/ns/shop/sa/greeter";
  static Path mesh;
  static PilotServer pilot;
  static final List<Server> servers = new ArrayList<>();
  static final List<ManagedChannel> channels = new ArrayList<>();

  static String registry(int v1, int v2, int flaky) {
    StringBuilder b = new StringBuilder();
    for (String host : HOSTS.split(" ")) {
      String name = host.replace('.', '-');
      b.append(
          """
          apiVersion: networking.istio.io/v1
          kind: ServiceEntry
          metadata: {name: %1$s, namespace: shop}
          spec:
            hosts: [%2$s]
            ports: [{number: 8080, name: grpc-api, protocol: GRPC}]
            resolution: STATIC
            endpoints:
            - {address: 127.0.0.1, ports: {grpc-api: %3$d}, labels: {version: v1}}
            - {address: 127.0.0.1, ports: {grpc-api: %4$d}, labels: {version: v2}}
            - {address: 127.0.0.1, ports: {grpc-api: %5$d}, labels: {version: flaky}}
          ---
          apiVersion: networking.istio.io/v1
          kind: DestinationRule
          metadata: {name: %1$s, namespace: shop}
          spec:
            host: %2$s
            subsets:
            - {name: v1, labels: {version: v1}}
            - {name: v2, labels: {version: v2}}
            - {name: flaky, labels: {version: flaky}}
          ---
          """
              .formatted(name, host, v1, v2, flaky));
    }
    return b.toString();
  }

  static String greeterRoutes(int v1Weight, int v2Weight) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: greeter, namespace: shop}
        spec:
          hosts: [greeter.shop]
          http:
          - name: tagged
            match: [{headers: {x-tag: {exact: canary}}}]
            route: [{destination: {host: greeter.shop, subset: v2}}]
          - name: split
            route:
            - {destination: {host: greeter.shop, subset: v1}, weight: %d}
            - {destination: {host: greeter.shop, subset: v2}, weight: %d}
        """
        .formatted(v1Weight, v2Weight);
  }

  static final String OTHER_ROUTES =
      """
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: fault, namespace: shop}
      spec:
        hosts: [greeter-fault.shop]
        http:
        - fault: {abort: {percentage: {value: 50}, grpcStatus: ABORTED}}
          route: [{destination: {host: greeter-fault.shop, subset: v1}}]
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: delay, namespace: shop}
      spec:
        hosts: [greeter-delay.shop]
        http:
        - fault: {delay: {percentage: {value: 100}, fixedDelay: 300ms}}
          route: [{destination: {host: greeter-delay.shop, subset: v1}}]
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: retry, namespace: shop}
      spec:
        hosts: [greeter-retry.shop]
        http:
        - retries: {attempts: 3, retryOn: unavailable}
          route: [{destination: {host: greeter-retry.shop, subset: flaky}}]
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: noretry, namespace: shop}
      spec:
        hosts: [greeter-noretry.shop]
        http:
        - route: [{destination: {host: greeter-noretry.shop, subset: flaky}}]
      """;

  @BeforeAll
  static void start() throws Exception {
    servers.add(Greeters.start("v1", false));
    servers.add(Greeters.start("v2", false));
    servers.add(Greeters.start("flaky", true));
    mesh = Files.createTempDirectory("tollgate-mesh-");
    Files.writeString(
        mesh.resolve("registry.yaml"),
        registry(
            Greeters.port(servers.get(0)),
            Greeters.port(servers.get(1)),
            Greeters.port(servers.get(2))));
    Files.writeString(mesh.resolve("greeter.yaml"), greeterRoutes(90, 10));
    Files.writeString(mesh.resolve("others.yaml"), OTHER_ROUTES);
    pilot =
        PilotServer.start(
            new PilotServer.Settings(mesh, "127.0.0.1", 0, Duration.ofMillis(100)),
            new PrometheusRegistry());
    Path certs = TestPki.workload(Files.createTempDirectory("tollgate-certs-"), GREETER_ID);
    // grpc-java reads its xDS bootstrap once per JVM; this test class is the only xDS user in it.
    System.setProperty(
        "io.grpc.xds.bootstrapConfig",
        """
        {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
         "node": {"id": "proxyless~127.0.0.1~tests.shop~shop.svc.cluster.local", "locality": {"zone": "test"}},
         "server_listener_resource_name_template": "grpc/server?xds.resource.listening_address=%%s",
         "certificate_providers": {"default": {"plugin_name": "file_watcher", "config": {
            "certificate_file": "%2$s/cert-chain.pem", "private_key_file": "%2$s/key.pem",
            "ca_certificate_file": "%2$s/root-cert.pem", "refresh_interval": "60s"}}}}
        """
            .formatted(pilot.port(), certs));
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (pilot != null) {
      pilot.close();
    }
    servers.forEach(Server::shutdownNow);
  }

  static GreeterGrpc.GreeterBlockingStub greeter(String host) {
    ManagedChannel ch =
        Grpc.newChannelBuilder("xds:///" + host + ":8080", InsecureChannelCredentials.create())
            .build();
    channels.add(ch);
    return GreeterGrpc.newBlockingStub(ch);
  }

  static String version(GreeterGrpc.GreeterBlockingStub stub) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
        .hello(HelloRequest.newBuilder().setName("x").build())
        .getVersion();
  }

  @Test
  void aProxylessServerGetsItsListenerAndServes() throws Exception {
    int port = io.tollgate.testing.FreePorts.next();
    String entry =
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: greeter-xds, namespace: shop}
        spec:
          hosts: [greeter-xds.shop]
          ports: [{number: 8080, name: grpc}]
          endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
        """
            .formatted(port);
    String before = pilot.version();
    Files.writeString(mesh.resolve("xds-server.yaml"), entry);
    await().atMost(Duration.ofSeconds(10)).until(() -> !pilot.version().equals(before));
    servers.add(Greeters.startXds(port, io.grpc.InsecureServerCredentials.create(), "xds-server"));
    assertThat(version(greeter("greeter-xds.shop"))).isEqualTo("xds-server");
  }

  @Test
  void istioMutualInADestinationRuleMakesClientAndServerTalkMutualTls() throws Exception {
    int port = io.tollgate.testing.FreePorts.next();
    String before = pilot.version();
    Files.writeString(
        mesh.resolve("mtls.yaml"),
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: greeter-mtls, namespace: shop}
        spec:
          hosts: [greeter-mtls.shop]
          ports: [{number: 8080, name: grpc}]
          endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeter-mtls, namespace: shop}
        spec:
          host: greeter-mtls.shop
          trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
        """
            .formatted(port));
    await().atMost(Duration.ofSeconds(10)).until(() -> !pilot.version().equals(before));
    java.util.concurrent.atomic.AtomicReference<String> caller =
        new java.util.concurrent.atomic.AtomicReference<>();
    io.grpc.ServerInterceptor peer =
        new io.grpc.ServerInterceptor() {
          @Override
          public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
              io.grpc.ServerCall<Q, R> call,
              Metadata headers,
              io.grpc.ServerCallHandler<Q, R> next) {
            javax.net.ssl.SSLSession session =
                call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_SSL_SESSION);
            try {
              var cert = (java.security.cert.X509Certificate) session.getPeerCertificates()[0];
              caller.set(
                  String.valueOf(cert.getSubjectAlternativeNames().iterator().next().get(1)));
            } catch (Exception e) {
              caller.set("no client certificate: " + e);
            }
            return next.startCall(call, headers);
          }
        };
    servers.add(
        Greeters.startXds(
            port,
            io.grpc.xds.XdsServerCredentials.create(io.grpc.InsecureServerCredentials.create()),
            "mtls",
            peer));

    ManagedChannel secure =
        Grpc.newChannelBuilder(
                "xds:///greeter-mtls.shop:8080",
                io.grpc.xds.XdsChannelCredentials.create(InsecureChannelCredentials.create()))
            .build();
    channels.add(secure);
    assertThat(version(GreeterGrpc.newBlockingStub(secure))).isEqualTo("mtls");
    assertThat(caller.get()).isEqualTo(GREETER_ID);

    // Plaintext to the same server does not get through.
    ManagedChannel plain =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", port)
            .usePlaintext()
            .build();
    channels.add(plain);
    assertThatThrownBy(() -> version(GreeterGrpc.newBlockingStub(plain)))
        .isInstanceOf(StatusRuntimeException.class);
  }

  @Test
  void aNinetyTenSplitAndAHeaderMatch() {
    var stub = greeter("greeter.shop");
    int v2 = 0;
    for (int i = 0; i < 2000; i++) {
      if (version(stub).equals("v2")) {
        v2++;
      }
    }
    // 10% of 2,000 is 200; four standard deviations (13.4 each) either way.
    assertThat(v2).as("calls to v2 of 2000").isBetween(146, 254);
    System.out.printf("90/10 split: %d of 2000 calls went to v2%n", v2);

    Metadata canary = new Metadata();
    canary.put(Metadata.Key.of("x-tag", Metadata.ASCII_STRING_MARSHALLER), "canary");
    var tagged = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(canary));
    for (int i = 0; i < 200; i++) {
      assertThat(version(tagged)).isEqualTo("v2");
    }
  }

  @Test
  void aFiftyPercentAbortFailsAboutHalfWithTheConfiguredStatus() {
    var stub = greeter("greeter-fault.shop");
    int aborted = 0;
    for (int i = 0; i < 400; i++) {
      try {
        assertThat(version(stub)).isEqualTo("v1");
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ABORTED);
        aborted++;
      }
    }
    // 200 of 400 expected; four standard deviations (10 each) either way.
    assertThat(aborted).isBetween(160, 240);
  }

  @Test
  void aDelayFaultIsObserved() {
    var delayed = greeter("greeter-delay.shop");
    var direct = greeter("greeter.shop");
    version(delayed);
    version(direct);
    long slowest = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      assertThat(version(delayed)).isEqualTo("v1");
      slowest = Math.min(slowest, (System.nanoTime() - t0) / 1_000_000);
    }
    assertThat(slowest).as("fastest of five delayed calls, ms").isGreaterThanOrEqualTo(300);
  }

  @Test
  void aRetryPolicyHidesAServerThatFailsEveryOtherCall() {
    var withRetries = greeter("greeter-retry.shop");
    for (int i = 0; i < 100; i++) {
      assertThat(version(withRetries)).isEqualTo("flaky");
    }
    // Without the policy the same server fails about half the calls.
    var without = greeter("greeter-noretry.shop");
    int failed = 0;
    for (int i = 0; i < 100; i++) {
      try {
        version(without);
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        failed++;
      }
    }
    assertThat(failed).isBetween(30, 70);
  }

  @Test
  void editingTheVirtualServiceShiftsTrafficWhileClientsRun() throws Exception {
    var stub = greeter("greeter.shop");
    version(stub);
    String before = pilot.version();
    long t0 = System.nanoTime();
    Files.writeString(mesh.resolve("greeter.yaml"), greeterRoutes(0, 100));
    int[] streak = {0};
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ZERO)
        .pollDelay(Duration.ZERO)
        .until(
            () -> {
              streak[0] = version(stub).equals("v2") ? streak[0] + 1 : 0;
              return streak[0] >= 50;
            });
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf(
        "the edit reached a running client in %d ms (50 calls in a row to v2 after it)%n", ms);
    assertThat(pilot.version()).isNotEqualTo(before);

    // A broken edit is refused: the last good routes keep serving.
    String good = pilot.version();
    Files.writeString(mesh.resolve("greeter.yaml"), greeterRoutes(50, 20));
    await().atMost(Duration.ofSeconds(10)).until(() -> !pilot.lastProblems().isEmpty());
    assertThat(pilot.lastProblems())
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("greeter.yaml:1: VirtualService shop/greeter:")
                    .contains("weights add up to 70, not 100"));
    assertThat(pilot.version()).isEqualTo(good);
    for (int i = 0; i < 20; i++) {
      assertThat(version(stub)).isEqualTo("v2");
    }
    Files.writeString(mesh.resolve("greeter.yaml"), greeterRoutes(90, 10));
    await().atMost(Duration.ofSeconds(10)).until(() -> pilot.lastProblems().isEmpty());
  }
}
