/**
 * The {@code apikey} adapter, an example of a third-party plugin: it checks a presented API key
 * against a file of SHA-256 key hashes and tells the upstream which client called.
 */
package io.tollgate.examples.apikey;
