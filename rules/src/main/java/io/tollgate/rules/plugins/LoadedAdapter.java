package io.tollgate.rules.plugins;

import io.tollgate.adapter.spi.Adapter;

/**
 * {@code LoadedAdapter} is an adapter with where it came from.
 *
 * @param adapter the adapter
 * @param origin {@code builtin}, or the plugin jar's name relative to the plugins directory
 */
public record LoadedAdapter(Adapter adapter, String origin) {}
