package io.tollgate.server.envoy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.server.attributes.EveryAttribute;
import io.tollgate.testing.InputTimeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the gRPC check's attribute mapping: the bytes of an Envoy ext_authz {@code CheckRequest},
 * parsed as gRPC parses them, then read as a {@link CheckRequestView} and every attribute derived
 * through the attribute table ({@link EveryAttribute}). The one documented bad input is bytes that
 * are not a {@code CheckRequest} ({@link InvalidProtocolBufferException}, which gRPC refuses before
 * Tollgate sees the call); every parsed request must map without an exception, whatever its fields
 * hold.
 *
 * <p>The corpus ({@code AttributeMapperFuzzTestInputs/map}) holds the requests of the attribute
 * tests, serialized: plaintext and mTLS callers, header maps, bodies, metadata, IPv6 hosts.
 */
@ExtendWith(InputTimeout.class)
class AttributeMapperFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void map(byte[] input) {
    CheckRequest request;
    try {
      request = CheckRequest.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    EveryAttribute.read(new CheckRequestView(request));
    AttributeMapper.map(request).names();
  }
}
