package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and oversized requests get a decision or a clean error, and the server goes on serving.
 */
class MalformedRequestIT {
  @TempDir static Path dir;
  static TestServer ts;

  @BeforeAll
  static void start() throws Exception {
    ts = TestServer.start(TestServer.itPolicy(dir), TestServer.testPlugins(), Duration.ZERO);
  }

  @AfterAll
  static void stop() {
    ts.close();
  }

  @AfterEach
  void stillServing() {
    CheckResponse r = ts.check(EnvoyCheckRequest.http("GET", "details", "/admin").build());
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(ts.admin("/readyz").statusCode()).isEqualTo(200);
  }

  @Test
  void noAttributesAtAll() {
    CheckResponse r = ts.check(CheckRequest.getDefaultInstance());
    assertThat(r.getStatus().getCode()).as("nothing to match: allowed").isEqualTo(Code.OK_VALUE);
  }

  @Test
  void noHttpRequest() {
    CheckRequest req =
        CheckRequest.newBuilder()
            .setAttributes(
                AttributeContext.newBuilder()
                    .setSource(AttributeContext.Peer.newBuilder().setPrincipal("x")))
            .build();
    assertThat(ts.check(req).hasStatus()).isTrue();
  }

  @Test
  void hugeHeaders() {
    EnvoyCheckRequest b = EnvoyCheckRequest.http("GET", "details", "/admin/x");
    String value = "v".repeat(1024);
    for (int i = 0; i < 2000; i++) {
      b.header("x-filler-" + i, value);
    }
    CheckResponse r = ts.check(b.build());
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
  }

  @Test
  void oneMebibytePath() {
    String path = "/" + "a".repeat(1024 * 1024);
    CheckResponse r = ts.check(EnvoyCheckRequest.http("GET", "details", path).build());
    assertThat(r.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    CheckResponse admin =
        ts.check(EnvoyCheckRequest.http("GET", "details", "/admin" + path).build());
    assertThat(admin.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
  }

  @Test
  void overTheMessageLimitIsRefusedCleanly() {
    String path = "/" + "a".repeat(5 * 1024 * 1024);
    assertThatThrownBy(() -> ts.check(EnvoyCheckRequest.http("GET", "details", path).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
  }

  @Test
  void invalidUtf8InAStringField() {
    byte[] bytes = EnvoyCheckRequest.http("GET", "details", "/ZZ").build().toByteArray();
    byte[] marker = "/ZZ".getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(bytes, marker);
    bytes[at + 1] = (byte) 0xC3;
    bytes[at + 2] = (byte) 0x28;
    final byte[] invalid = bytes;
    assertThatThrownBy(() -> raw(invalid))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .startsWith("malformed CheckRequest: ")
                  .contains("UTF-8");
            });
  }

  @Test
  void invalidUtf8InRawHeaderValues() {
    AttributeContext.HttpRequest http =
        AttributeContext.HttpRequest.newBuilder()
            .setMethod("GET")
            .setPath("/")
            .setHost("details")
            .setHeaderMap(
                HeaderMap.newBuilder()
                    .addHeaders(
                        HeaderValue.newBuilder()
                            .setKey("user-agent")
                            .setRawValue(
                                ByteString.copyFrom(
                                    new byte[] {'s', 'q', 'l', 'm', 'a', 'p', (byte) 0xFF}))))
            .build();
    CheckRequest req =
        CheckRequest.newBuilder()
            .setAttributes(
                AttributeContext.newBuilder()
                    .setRequest(AttributeContext.Request.newBuilder().setHttp(http)))
            .build();
    CheckResponse r = ts.check(req);
    assertThat(r.getDeniedResponse().getStatus().getCodeValue())
        .as("regex list still sees sqlmap")
        .isEqualTo(403);
  }

  @Test
  void bytesThatAreNotProtobuf() {
    assertThatThrownBy(() -> raw(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01, 0x02}))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void nginxEndpointWithoutOriginalHeaders() {
    HttpResponse<String> r =
        ts.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ts.server.httpPort() + "/_tollgate/nginx"))
                .build());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("X-Original-Method and X-Original-URI");
  }

  static CheckResponse raw(byte[] request) {
    MethodDescriptor<byte[], CheckResponse> m =
        MethodDescriptor.<byte[], CheckResponse>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(AuthorizationGrpc.getCheckMethod().getFullMethodName())
            .setRequestMarshaller(
                new MethodDescriptor.Marshaller<>() {
                  @Override
                  public InputStream stream(byte[] value) {
                    return new ByteArrayInputStream(value);
                  }

                  @Override
                  public byte[] parse(InputStream in) {
                    try {
                      return in.readAllBytes();
                    } catch (java.io.IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  }
                })
            .setResponseMarshaller(ProtoUtils.marshaller(CheckResponse.getDefaultInstance()))
            .build();
    return ClientCalls.blockingUnaryCall(
        ts.channel, m, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("marker not found");
  }
}
