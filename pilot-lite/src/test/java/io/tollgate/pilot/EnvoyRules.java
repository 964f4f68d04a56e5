package io.tollgate.pilot;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.pgv.validate.Validate;
import java.util.ArrayList;
import java.util.List;

/**
 * The validation rules Envoy's protos carry as {@code (validate.rules)} options
 * (protoc-gen-validate), checked by reflection: the API jar has the rules but no generated
 * validators. Covers the kinds of rules pilot-lite's output can break: required messages and
 * oneofs, string and repeated minimum lengths, numeric and duration bounds, defined enum values;
 * packed Any values are unpacked and checked too.
 */
final class EnvoyRules {
  private EnvoyRules() {}

  static List<String> violations(Message m, JsonFormat.TypeRegistry types) throws Exception {
    List<String> out = new ArrayList<>();
    check(m, m.getDescriptorForType().getName(), types, out);
    return out;
  }

  private static void check(Message m, String at, JsonFormat.TypeRegistry types, List<String> out)
      throws Exception {
    if (m instanceof Any any) {
      Descriptors.Descriptor d =
          types.find(any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1));
      if (d != null) {
        Message inner = com.google.protobuf.DynamicMessage.parseFrom(d, any.getValue());
        check(inner, at + "<" + d.getName() + ">", types, out);
      }
      return;
    }
    for (Descriptors.OneofDescriptor o : m.getDescriptorForType().getRealOneofs()) {
      if (o.getOptions().getExtension(Validate.required) && !m.hasOneof(o)) {
        out.add(at + "." + o.getName() + ": one of its fields is required");
      }
    }
    for (Descriptors.FieldDescriptor f : m.getDescriptorForType().getFields()) {
      Validate.FieldRules rules = f.getOptions().getExtension(Validate.rules);
      String path = at + "." + f.getName();
      if (f.isRepeated()) {
        int n = m.getRepeatedFieldCount(f);
        if (rules.hasRepeated()
            && rules.getRepeated().hasMinItems()
            && n < rules.getRepeated().getMinItems()) {
          out.add(
              path
                  + ": at least "
                  + rules.getRepeated().getMinItems()
                  + " item(s) required, has "
                  + n);
        }
        for (int i = 0; i < n; i++) {
          Object v = m.getRepeatedField(f, i);
          if (v instanceof Message child && !f.isMapField()) {
            check(child, path + "[" + i + "]", types, out);
          } else if (f.isMapField() && v instanceof Message entry) {
            Object value = entry.getField(entry.getDescriptorForType().findFieldByName("value"));
            if (value instanceof Message child) {
              check(child, path + "[" + i + "]", types, out);
            }
          }
        }
        continue;
      }
      boolean present =
          f.hasPresence() ? m.hasField(f) : !m.getField(f).equals(f.getDefaultValue());
      if (f.getRealContainingOneof() != null && !present) {
        continue; // rules on a oneof's fields apply to the one that is set
      }
      if (f.getJavaType() == Descriptors.FieldDescriptor.JavaType.MESSAGE) {
        if (rules.hasMessage() && rules.getMessage().getRequired() && !present) {
          out.add(path + ": required");
        }
        if (present) {
          Message child = (Message) m.getField(f);
          if (rules.hasDuration() && child instanceof Duration d) {
            long nanos = d.getSeconds() * 1_000_000_000L + d.getNanos();
            if (rules.getDuration().hasGt() && nanos <= toNanos(rules.getDuration().getGt())) {
              out.add(path + ": must be longer than " + rules.getDuration().getGt());
            }
          }
          check(child, path, types, out);
        }
        continue;
      }
      Object v = m.getField(f);
      if (rules.hasString() && v instanceof String s) {
        if (rules.getString().hasMinLen() && s.length() < rules.getString().getMinLen()) {
          out.add(path + ": at least " + rules.getString().getMinLen() + " character(s)");
        }
        if (rules.getString().hasMinBytes()
            && s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                < rules.getString().getMinBytes()) {
          out.add(path + ": at least " + rules.getString().getMinBytes() + " byte(s)");
        }
      }
      if (rules.hasUint32() && v instanceof Integer n) {
        var r = rules.getUint32();
        if ((r.hasGt() && Integer.toUnsignedLong(n) <= r.getGt())
            || (r.hasLte() && Integer.toUnsignedLong(n) > r.getLte())
            || (r.hasLt() && Integer.toUnsignedLong(n) >= r.getLt())
            || (r.hasGte() && Integer.toUnsignedLong(n) < r.getGte())) {
          out.add(
              path
                  + ": "
                  + Integer.toUnsignedLong(n)
                  + " outside "
                  + r.toString().replace('\n', ' '));
        }
      }
      if (rules.hasEnum()
          && rules.getEnum().getDefinedOnly()
          && v instanceof Descriptors.EnumValueDescriptor e
          && e.getIndex() < 0) {
        out.add(path + ": undefined enum value");
      }
    }
  }

  private static long toNanos(Duration d) {
    return d.getSeconds() * 1_000_000_000L + d.getNanos();
  }
}
