package io.tollgate.rules.compile;

import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.ReportHandler;
import io.tollgate.adapter.spi.Template;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.Located;
import io.tollgate.common.config.YamlDocument;
import io.tollgate.rules.cel.CompiledExpression;
import io.tollgate.rules.cel.ExpressionIssue;
import io.tollgate.rules.cel.Expressions;
import io.tollgate.rules.config.InstanceConfig;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.config.RuleConfig;
import io.tollgate.rules.snapshot.CompiledInstance;
import io.tollgate.rules.snapshot.CompiledRule;
import io.tollgate.rules.snapshot.HandlerEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code RuleCompiler} compiles {@code Instance} and {@code Rule} documents: type-checks every CEL
 * expression against the attribute vocabulary and reports each problem at its place in the YAML
 * file (line and column of the expression itself, not of its document).
 */
public final class RuleCompiler {
  private final Expressions expressions;
  private final boolean failClosedByDefault;

  /**
   * @param failClosedByDefault the {@code matchFailurePolicy} of rules that do not set one
   */
  public RuleCompiler(Expressions expressions, boolean failClosedByDefault) {
    this.expressions = expressions;
    this.failClosedByDefault = failClosedByDefault;
  }

  public static boolean isReport(String template) {
    Template t = Template.byName(template);
    return t != null && t.isReport();
  }

  public CompiledInstance compileInstance(
      InstanceConfig ic, Map<String, String[]> lines, Problems problems) {
    Template t = Template.byName(ic.template());
    if (t == null) {
      problems.at(
          ic.doc(),
          "template",
          "unknown template '"
              + ic.template()
              + "'; templates: "
              + new TreeSet<>(Template.names()));
      return null;
    }
    int before = problems.size();
    Map<String, CompiledExpression> fields = new LinkedHashMap<>();
    Map<String, Map<String, CompiledExpression>> mapFields = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : ic.params().entrySet()) {
      String field = e.getKey();
      String path = "params." + field;
      AttributeType type = t.fields().get(field);
      if (type == null) {
        problems.atKey(
            ic.doc(),
            path,
            "template '"
                + t.name()
                + "' has no field '"
                + field
                + "'; fields: "
                + t.fields().keySet());
        continue;
      }
      if (type == AttributeType.DYN_MAP) {
        if (!(e.getValue() instanceof Map<?, ?> m)) {
          problems.at(ic.doc(), path, "field '" + field + "' is a map of name to expression");
          continue;
        }
        Map<String, CompiledExpression> compiled = new LinkedHashMap<>();
        for (Map.Entry<?, ?> me : m.entrySet()) {
          CompiledExpression ce =
              expression(
                  ic.doc(),
                  path + "." + me.getKey(),
                  me.getValue(),
                  AttributeType.DYN,
                  lines,
                  problems);
          if (ce != null) {
            compiled.put(String.valueOf(me.getKey()), ce);
          }
        }
        mapFields.put(field, compiled);
        continue;
      }
      CompiledExpression ce = expression(ic.doc(), path, e.getValue(), type, lines, problems);
      if (ce != null) {
        fields.put(field, ce);
      }
    }
    for (String r : t.required()) {
      if (!ic.params().containsKey(r)) {
        problems.at(ic.doc(), "params", "template '" + t.name() + "' requires field '" + r + "'");
      }
    }
    return problems.size() > before
        ? null
        : new CompiledInstance(ic.name(), t.name(), fields, mapFields);
  }

  public CompiledRule compileRule(
      RuleConfig rc,
      Map<String, HandlerEntry> handlers,
      Map<String, CompiledInstance> instances,
      Map<String, YamlDocument> instanceDocs,
      Map<String, String[]> lines,
      Problems problems) {
    int before = problems.size();
    CompiledExpression match =
        rc.match() == null
            ? null
            : expression(rc.doc(), "match", rc.match(), AttributeType.BOOL, lines, problems);
    List<CompiledRule.Action> actions = new ArrayList<>();
    List<CompiledRule.Action> reportActions = new ArrayList<>();
    for (RuleConfig.Action a : rc.actions()) {
      HandlerEntry h = handlers.get(a.handler());
      if (h == null) {
        problems.at(
            rc.doc(),
            a.path() + ".handler",
            "rule '"
                + rc.name()
                + "' names handler '"
                + a.handler()
                + "', which is not defined"
                + (handlers.isEmpty() ? "" : "; handlers: " + new TreeSet<>(handlers.keySet())));
        continue;
      }
      List<CompiledInstance> cis = new ArrayList<>();
      if (a.instances().isEmpty()) {
        if (!h.templates().contains("checknothing")) {
          problems.at(
              rc.doc(),
              a.path(),
              "handler '"
                  + h.name()
                  + "' (adapter "
                  + h.adapter()
                  + ") needs instances of "
                  + new TreeSet<>(h.templates()));
        }
        cis.add(CompiledInstance.NOTHING);
      }
      for (int i = 0; i < a.instances().size(); i++) {
        String in = a.instances().get(i);
        String path = a.path() + ".instances[" + i + "]";
        CompiledInstance ci = instances.get(in);
        if (ci == null) {
          if (!instanceDocs.containsKey(in)) {
            problems.at(
                rc.doc(),
                path,
                "rule '" + rc.name() + "' names instance '" + in + "', which is not defined");
          }
          continue;
        }
        if (!h.templates().contains(ci.template())) {
          problems.at(
              rc.doc(),
              path,
              "handler '"
                  + h.name()
                  + "' (adapter "
                  + h.adapter()
                  + ") does not accept template '"
                  + ci.template()
                  + "' of instance '"
                  + in
                  + "'; it accepts "
                  + new TreeSet<>(h.templates()));
          continue;
        }
        cis.add(ci);
      }
      // Report instances go to report handlers after the request; the rest decide it.
      List<CompiledInstance> report = cis.stream().filter(ci -> isReport(ci.template())).toList();
      List<CompiledInstance> check = cis.stream().filter(ci -> !isReport(ci.template())).toList();
      if (!report.isEmpty()) {
        if (h.handler() instanceof ReportHandler) {
          reportActions.add(new CompiledRule.Action(h, report));
        } else {
          problems.at(
              rc.doc(),
              a.path(),
              "handler '"
                  + h.name()
                  + "' (adapter "
                  + h.adapter()
                  + ") does not report; metric and logentry instances need a report handler such as prometheus or accesslog");
        }
      }
      if (!check.isEmpty()) {
        if (h.checkHandler() != null) {
          actions.add(new CompiledRule.Action(h, check));
        } else {
          problems.at(
              rc.doc(),
              a.path(),
              "handler '"
                  + h.name()
                  + "' (adapter "
                  + h.adapter()
                  + ") only reports; send it metric or logentry instances");
        }
      }
    }
    List<CompiledRule.HeaderTemplate> req =
        headerTemplates(
            rc, "requestHeaderOperations", rc.requestHeaderOperations(), lines, problems);
    List<CompiledRule.HeaderTemplate> resp =
        headerTemplates(
            rc, "responseHeaderOperations", rc.responseHeaderOperations(), lines, problems);
    if (problems.size() > before) {
      return null;
    }
    boolean closed = rc.matchFailClosed() != null ? rc.matchFailClosed() : failClosedByDefault;
    return new CompiledRule(
        rc.name(),
        match,
        actions,
        reportActions,
        req,
        resp,
        closed && CompiledRule.canDeny(actions));
  }

  private List<CompiledRule.HeaderTemplate> headerTemplates(
      RuleConfig rc,
      String field,
      List<RuleConfig.HeaderOperation> ops,
      Map<String, String[]> lines,
      Problems problems) {
    List<CompiledRule.HeaderTemplate> out = new ArrayList<>();
    for (RuleConfig.HeaderOperation op : ops) {
      List<CompiledExpression> values = new ArrayList<>();
      for (int i = 0; i < op.values().size(); i++) {
        CompiledExpression ce =
            expression(
                rc.doc(),
                op.path() + ".values[" + i + "]",
                op.values().get(i),
                AttributeType.DYN,
                lines,
                problems);
        if (ce != null) {
          values.add(ce);
        }
      }
      HeaderOp.Op kind;
      try {
        kind = HeaderOp.Op.valueOf(op.operation());
      } catch (IllegalArgumentException e) {
        continue; // already reported by PolicyDocuments
      }
      out.add(new CompiledRule.HeaderTemplate(kind, op.name(), values));
    }
    return out;
  }

  /** Compiles an expression, reporting issues at their place in the file. */
  private CompiledExpression expression(
      YamlDocument doc,
      String path,
      Object value,
      AttributeType type,
      Map<String, String[]> lines,
      Problems problems) {
    if (!(value instanceof String text)) {
      if (value instanceof Number || value instanceof Boolean) {
        return expression(doc, path, String.valueOf(value), type, lines, problems);
      }
      problems.at(doc, path, "expected a CEL expression string");
      return null;
    }
    Expressions.Result r = expressions.compile(text, type);
    if (r.ok()) {
      return r.expression();
    }
    Located start = doc.at(path);
    for (ExpressionIssue i : r.issues()) {
      int line;
      int col;
      switch (doc.styleAt(path)) {
        case QUOTED -> {
          line = start.line() + i.line() - 1;
          col = i.line() == 1 && i.column() > 0 ? start.column() + i.column() : i.column();
        }
        case BLOCK -> {
          int[] at =
              i.column() > 0
                  ? BlockPositions.locate(
                      lines.get(doc.file()), start.line(), text, i.line(), i.column())
                  : null;
          if (at != null) {
            line = at[0];
            col = at[1];
            break;
          }
          line = start.line() + i.line();
          String[] fileLines = lines.get(doc.file());
          int indent = 0;
          if (fileLines != null && line - 1 < fileLines.length) {
            String l = fileLines[line - 1];
            while (indent < l.length() && l.charAt(indent) == ' ') {
              indent++;
            }
          }
          col = i.column() > 0 ? indent + i.column() : 0;
        }
        default -> {
          line = start.line() + i.line() - 1;
          col = i.line() == 1 && i.column() > 0 ? start.column() + i.column() - 1 : i.column();
        }
      }
      problems.add(new ConfigError(doc.file(), line, col, "CEL: " + explain(i.message(), text, i)));
    }
    return null;
  }

  /** Rewrites CEL's "undeclared reference to 'request'" as the unknown attribute it is. */
  private static String explain(String message, String text, ExpressionIssue i) {
    if (!message.startsWith("undeclared reference to") || i.column() <= 0) {
      return message;
    }
    String[] ls = text.split("\n", -1);
    if (i.line() - 1 >= ls.length) {
      return message;
    }
    String l = ls[i.line() - 1];
    int s = i.column() - 1;
    int e = s;
    while (e < l.length()
        && (Character.isLetterOrDigit(l.charAt(e)) || l.charAt(e) == '_' || l.charAt(e) == '.')) {
      e++;
    }
    String ident = l.substring(Math.min(s, l.length()), e);
    if (ident.contains(".")) {
      // Keep only the prefix that could be an attribute: up to a method call such as .startsWith(.
      if (e < l.length() && l.charAt(e) == '(') {
        ident = ident.substring(0, ident.lastIndexOf('.'));
      }
      return "unknown attribute '" + ident + "' (see the attribute vocabulary in the README)";
    }
    return message;
  }
}
