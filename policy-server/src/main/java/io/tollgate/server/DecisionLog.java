package io.tollgate.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.rules.PolicyDecision;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code DecisionLog} writes one JSON line per decision to the {@code tollgate.decisions} logger.
 * Which decisions are logged is set by {@link Mode} and a sampling rate. Thread-safe.
 */
public final class DecisionLog {
  private static final Logger log = LoggerFactory.getLogger("tollgate.decisions");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Which decisions to log. */
  public enum Mode {
    OFF,
    DENY,
    ALL
  }

  private final Mode mode;
  private final double sample;

  public DecisionLog(Mode mode, double sample) {
    if (sample < 0 || sample > 1) {
      throw new IllegalArgumentException("decision log sample must be within 0..1, not " + sample);
    }
    this.mode = mode;
    this.sample = sample;
  }

  /** Whether {@code d} would be logged before sampling. */
  boolean wants(PolicyDecision d) {
    return mode == Mode.ALL || (mode == Mode.DENY && !d.allowed());
  }

  /** Logs the decision if the mode and the sample say so. */
  public void log(String transport, Attributes a, PolicyDecision d, long nanos) {
    if (!wants(d) || !log.isInfoEnabled()) {
      return;
    }
    if (sample < 1 && ThreadLocalRandom.current().nextDouble() >= sample) {
      return;
    }
    log.info(line(transport, a, d, nanos));
  }

  static String line(String transport, Attributes a, PolicyDecision d, long nanos) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", Instant.now().toString());
    m.put("transport", transport);
    m.put("allowed", d.allowed());
    m.put("status", d.httpStatus());
    m.put("rule", d.rule());
    m.put("handler", d.handler());
    m.put("message", d.message());
    m.put("policy_version", d.policyVersion());
    m.put("request_id", a.getString(Vocabulary.REQUEST_ID));
    m.put("method", a.getString(Vocabulary.REQUEST_METHOD));
    m.put("host", a.getString(Vocabulary.REQUEST_HOST));
    m.put("path", a.getString(Vocabulary.REQUEST_PATH));
    m.put("source_ip", a.getString(Vocabulary.SOURCE_IP));
    m.put("source_principal", a.getString(Vocabulary.SOURCE_PRINCIPAL));
    m.put("duration_us", nanos / 1000);
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      return "{\"error\":\"decision log line could not be written\"}";
    }
  }
}
