package io.tollgate.quota;

import io.tollgate.adapter.spi.Quotas;

/**
 * {@code QuotaService} spends hits from named quotas held by the quota cluster: the {@link Quotas}
 * the adapter SPI offers handlers, and a lifecycle. Thread-safe.
 */
public interface QuotaService extends Quotas, AutoCloseable {

  @Override
  void close();
}
