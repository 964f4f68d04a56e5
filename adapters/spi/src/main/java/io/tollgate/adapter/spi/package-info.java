/**
 * The contract between Tollgate and its adapters.
 *
 * <p>An adapter is a service provider of {@link io.tollgate.adapter.spi.Adapter}, found on the
 * class path (built-ins) or in a plugin jar. At load time Tollgate hands it a {@link
 * io.tollgate.adapter.spi.HandlerSpec} with the handler's params; the adapter validates them,
 * reporting every problem to {@link io.tollgate.adapter.spi.ConfigErrors}, and builds a {@link
 * io.tollgate.adapter.spi.Handler}. At request time the handler receives {@link
 * io.tollgate.adapter.spi.Instance}s (values computed from the request's {@link
 * io.tollgate.adapter.spi.Attributes} by the rules) and answers with a {@link
 * io.tollgate.adapter.spi.CheckResult}.
 *
 * <p>This package has no dependencies beyond the JDK, so a plugin sees nothing else of Tollgate.
 */
package io.tollgate.adapter.spi;
