/**
 * Finding adapters: built-ins on the class path and plugin jars in a directory, each plugin in its
 * own class loader that sees only the adapter SPI and the JDK.
 */
package io.tollgate.rules.plugins;
