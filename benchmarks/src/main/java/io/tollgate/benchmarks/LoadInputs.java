package io.tollgate.benchmarks;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code LoadInputs} writes what ghz needs to call {@code
 * envoy.service.auth.v3.Authorization/Check} with the benchmark request mixes:
 *
 * <ul>
 *   <li>{@code authz.protoset}: a {@code FileDescriptorSet} of Envoy's {@code external_auth.proto}
 *       and everything it imports, from the descriptors compiled into the Java classes (Envoy's
 *       {@code .proto} files need not be on disk; ghz takes it with {@code --protoset});
 *   <li>{@code <policy>.json}: the policy's {@link RequestMix} as a JSON array of {@code
 *       CheckRequest}s, which ghz sends round-robin ({@code --data-file});
 *   <li>{@code <policy>.mix}: one line per request, the status it must get and its name;
 *   <li>{@code ratelimit.protoset} and {@code ratelimit.json}: the same for {@code
 *       envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit}, {@value #TENANTS} requests in
 *       domain {@code bench}, each with one descriptor {@code tenant=t<i>} for its own tenant.
 * </ul>
 *
 * <pre>java -cp benchmarks.jar io.tollgate.benchmarks.LoadInputs DIR</pre>
 */
public final class LoadInputs {
  /** Distinct tenants in the rate-limit request stream. */
  static final int TENANTS = 10_000;

  private LoadInputs() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: LoadInputs DIR");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir);
    Files.write(
        dir.resolve("authz.protoset"),
        protoset(CheckRequest.getDescriptor().getFile()).toByteArray());
    for (String policy : BenchmarkPolicies.NAMES) {
      List<RequestMix.Sample> mix = RequestMix.forPolicy(policy);
      Files.writeString(dir.resolve(policy + ".json"), json(mix), StandardCharsets.UTF_8);
      StringBuilder expected = new StringBuilder();
      for (RequestMix.Sample s : mix) {
        expected.append(s.expectedStatus()).append(' ').append(s.name()).append('\n');
      }
      Files.writeString(dir.resolve(policy + ".mix"), expected, StandardCharsets.UTF_8);
    }
    Files.write(
        dir.resolve("ratelimit.protoset"),
        protoset(RateLimitRequest.getDescriptor().getFile()).toByteArray());
    Files.writeString(
        dir.resolve("ratelimit.json"), rateLimitRequests(TENANTS), StandardCharsets.UTF_8);
  }

  /** {@code n} ShouldRateLimit requests, one tenant each, as a JSON array. */
  static String rateLimitRequests(int n) throws InvalidProtocolBufferException {
    JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();
    StringBuilder b = new StringBuilder("[\n");
    for (int i = 0; i < n; i++) {
      RateLimitRequest r =
          RateLimitRequest.newBuilder()
              .setDomain("bench")
              .addDescriptors(
                  RateLimitDescriptor.newBuilder()
                      .addEntries(
                          RateLimitDescriptor.Entry.newBuilder()
                              .setKey("tenant")
                              .setValue("t" + i)))
              .build();
      b.append(printer.print(r)).append(i + 1 < n ? ",\n" : "\n");
    }
    return b.append("]\n").toString();
  }

  /** The file and its imports, each once, every file after the files it imports. */
  static FileDescriptorSet protoset(FileDescriptor root) {
    Set<FileDescriptor> ordered = new LinkedHashSet<>();
    addWithDependencies(root, ordered);
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    ordered.forEach(f -> set.addFile(f.toProto()));
    return set.build();
  }

  private static void addWithDependencies(FileDescriptor f, Set<FileDescriptor> out) {
    if (out.contains(f)) {
      return;
    }
    for (FileDescriptor d : f.getDependencies()) {
      addWithDependencies(d, out);
    }
    out.add(f);
  }

  static String json(List<RequestMix.Sample> mix) throws InvalidProtocolBufferException {
    JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();
    StringBuilder b = new StringBuilder("[\n");
    for (int i = 0; i < mix.size(); i++) {
      b.append(printer.print(mix.get(i).request())).append(i + 1 < mix.size() ? ",\n" : "\n");
    }
    return b.append("]\n").toString();
  }
}
