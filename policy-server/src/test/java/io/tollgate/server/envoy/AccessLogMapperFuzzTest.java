package io.tollgate.server.envoy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.tollgate.server.attributes.EveryAttribute;
import io.tollgate.testing.InputTimeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the access log's attribute mapping: the bytes of one Envoy {@code HTTPAccessLogEntry},
 * parsed as gRPC parses them, read as an {@link AccessLogView} and every attribute derived through
 * the attribute table ({@link EveryAttribute}). The one documented bad input is bytes that are not
 * an entry ({@link InvalidProtocolBufferException}); every parsed entry must map without an
 * exception (absurd times, sizes and header maps are left out or cut, not thrown).
 *
 * <p>The corpus ({@code AccessLogMapperFuzzTestInputs/map}) holds the entries of the attribute
 * tests, serialized.
 */
@ExtendWith(InputTimeout.class)
class AccessLogMapperFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void map(byte[] input) {
    HTTPAccessLogEntry entry;
    try {
      entry = HTTPAccessLogEntry.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    EveryAttribute.read(new AccessLogView(entry));
    AccessLogMapper.map(entry).names();
  }
}
