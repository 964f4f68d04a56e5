/** The policy server's way into the quota cluster, and the dedicated quota node. */
package io.tollgate.server.quota;
