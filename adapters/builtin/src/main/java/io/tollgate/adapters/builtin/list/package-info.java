/**
 * The {@code list} adapter, after Istio Mixer's: is the instance's {@code value} in a list?
 *
 * <p>Entries come inline ({@code overrides}) and from a file ({@code file}, one per line, {@code #}
 * comments), re-read whenever the file changes. Entry types: {@code STRINGS} (exact), {@code
 * CASE_INSENSITIVE_STRINGS}, {@code IP_ADDRESSES} (addresses and CIDR ranges, IPv4 and IPv6; never
 * resolved through DNS) and {@code REGEX} (RE2 syntax through re2j, so matching time is linear in
 * the input; an entry must match the <em>whole</em> value, as if anchored with {@code ^...$}). As
 * an allow list ({@code blacklist: false}, the default) a value in the list passes and any other is
 * denied; as a deny list it is the other way round. A missing value is never in the list.
 */
package io.tollgate.adapters.builtin.list;
