package io.tollgate.adapter.spi;

/**
 * {@code ReportHandler} records what happened: it receives instances of the report templates
 * ({@code metric}, {@code logentry}) built from a finished request's attributes (Envoy's access
 * log). Reports run off the request path, on Tollgate's report workers; a handler may do I/O but
 * should not hold a worker long. Throwing counts as a failure of the handler and loses that one
 * instance, nothing else.
 */
public interface ReportHandler extends Handler {

  /** Records one instance for one finished request. */
  void report(Instance instance, Attributes attributes) throws Exception;
}
