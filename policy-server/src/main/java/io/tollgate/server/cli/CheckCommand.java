package io.tollgate.server.cli;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tollgate check}: sends one Check to a running server, built as Envoy would build it. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Sends one envoy.service.auth.v3.Authorization/Check to a running server, built the way Envoy's",
      "ext_authz filter builds it, and prints the decision. Exit 0 allowed, 3 denied, 1 no answer,",
      "2 usage error (e.g. an --address that is not HOST:PORT)."
    })
final class CheckCommand implements Callable<Integer> {
  /** Held so that the level set on it stays (java.util.logging keeps loggers weakly). */
  private static final java.util.logging.Logger GRPC_LOG =
      java.util.logging.Logger.getLogger("io.grpc");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--address",
      converter = Addresses.HostPort.class,
      defaultValue = "127.0.0.1:9091",
      description = "The server's gRPC address (default: ${DEFAULT-VALUE}).")
  String address;

  @Option(
      names = "--method",
      defaultValue = "GET",
      description = "HTTP method (default: ${DEFAULT-VALUE}).")
  String method;

  @Option(
      names = "--path",
      defaultValue = "/",
      description = "Path with optional query (default: ${DEFAULT-VALUE}).")
  String path;

  @Option(
      names = "--host",
      defaultValue = "localhost",
      description = "Host (authority) (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--header",
      paramLabel = "NAME=VALUE",
      description = "A request header; repeat for more.")
  Map<String, String> headers = new LinkedHashMap<>();

  @Option(
      names = "--principal",
      defaultValue = "",
      description = "The caller's SPIFFE ID (source.principal), as for a verified mTLS peer.")
  String principal;

  @Option(
      names = "--source-ip",
      defaultValue = "127.0.0.1",
      description = "The caller's address (default: ${DEFAULT-VALUE}).")
  String sourceIp;

  @Option(
      names = "--context",
      paramLabel = "KEY=VALUE",
      description = "A context extension (context.extensions); repeat for more.")
  Map<String, String> context = new LinkedHashMap<>();

  @Option(
      names = "--timeout",
      defaultValue = "5s",
      description = "How long to wait for the answer (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    EnvoyCheckRequest req =
        EnvoyCheckRequest.http(method, host, path).principal(principal).source(sourceIp, 40000);
    headers.forEach(req::header);
    context.forEach(req::contextExtension);
    // A name that does not resolve is reported below in one line; gRPC would also log it, with a
    // stack trace, on java.util.logging.
    GRPC_LOG.setLevel(java.util.logging.Level.OFF);
    ManagedChannel channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      CheckResponse r =
          AuthorizationGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .check(req.build());
      var meta = r.getDynamicMetadata().getFieldsMap();
      String rule = meta.containsKey("rule") ? meta.get("rule").getStringValue() : "";
      if (r.hasOkResponse() || r.getStatus().getCode() == 0) {
        out.println("ALLOW" + (rule.isEmpty() ? "" : " (last matching rule " + rule + ")"));
        print(out, "upstream header", r.getOkResponse().getHeadersList());
        r.getOkResponse()
            .getHeadersToRemoveList()
            .forEach(h -> out.println("  upstream header removed: " + h));
        print(out, "response header", r.getOkResponse().getResponseHeadersToAddList());
        return 0;
      }
      String handler = meta.containsKey("handler") ? meta.get("handler").getStringValue() : "";
      out.println(
          "DENY "
              + r.getDeniedResponse().getStatus().getCodeValue()
              + (rule.isEmpty() ? "" : " rule " + rule + " (handler " + handler + ")")
              + ": "
              + r.getStatus().getMessage());
      print(out, "response header", r.getDeniedResponse().getHeadersList());
      if (!r.getDeniedResponse().getBody().isEmpty()) {
        out.println("  body: " + r.getDeniedResponse().getBody());
      }
      return 3;
    } catch (StatusRuntimeException e) {
      err.println(
          "tollgate check: no answer from "
              + address
              + ": "
              + e.getStatus().getCode()
              + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription())
              + " (is `tollgate serve` running there?)");
      return 1;
    } finally {
      channel.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  private static void print(PrintWriter out, String what, java.util.List<HeaderValueOption> hs) {
    for (HeaderValueOption h : hs) {
      boolean append =
          h.getAppendAction() == HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD;
      out.println(
          "  "
              + what
              + (append ? " (append)" : "")
              + ": "
              + h.getHeader().getKey()
              + ": "
              + h.getHeader().getValue());
    }
  }
}
