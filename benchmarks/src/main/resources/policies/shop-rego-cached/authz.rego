# An OPA-Envoy policy, as written for OPA-Envoy: package envoy.authz, decision "allow".
package envoy.authz

import rego.v1

default allow := false

req := input.attributes.request.http

roles := data.users[req.headers["x-user"]]

admin := "spiffe://cluster.local/ns/shop/sa/admin"

debug_ok if not input.parsed_query.debug

debug_ok if input.parsed_query.debug == ["false"]

debug_ok if input.attributes.source.principal == admin

allow if input.parsed_path[0] == "health"

allow if {
	req.method == "GET"
	input.parsed_path[0] == "books"
	debug_ok
}

allow if {
	req.method in {"POST", "PUT", "DELETE"}
	input.parsed_path[0] == "books"
	"writer" in roles
}

allow if {
	input.parsed_path[0] == "admin"
	input.attributes.source.principal == admin
}

allow if {
	req.method == "GET"
	input.parsed_path[0] == "orders"
	"reader" in roles
}

allow if {
	req.method == "POST"
	input.parsed_path[0] == "orders"
	net.cidr_contains("10.0.0.0/8", input.attributes.source.address.socketAddress.address)
	"reader" in roles
}
