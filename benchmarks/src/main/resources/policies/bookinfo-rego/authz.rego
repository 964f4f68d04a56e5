# The bundled bookinfo policy (policy-server/src/main/resources/examples/bookinfo) written for
# OPA-Envoy, so the through-Envoy benchmark compares the two on the same decisions: the denied
# source ranges, the admin area, read-only productpage, who writes ratings, no path traversal,
# and the x-tollgate-caller header on every allowed request. Decision: envoy/authz/result.
package envoy.authz

import rego.v1

req := input.attributes.request.http

principal := object.get(input.attributes.source, "principal", "")

url_path := split(req.path, "?")[0]

host := split(req.host, ":")[0]

denied_ranges := ["203.0.113.0/24", "198.51.100.7/32", "2001:db8:bad::/48"]

deny contains {"status": 403, "body": "source address is on the denied list"} if {
	some r in denied_ranges
	net.cidr_contains(r, input.attributes.source.address.socketAddress.address)
}

deny contains {"status": 403, "body": "the admin area is for the bookinfo admin only"} if {
	startswith(url_path, "/admin")
	principal != "spiffe://cluster.local/ns/bookinfo/sa/admin"
}

deny contains {"status": 405, "body": "productpage only serves reads"} if {
	host == "productpage"
	not req.method in {"GET", "HEAD"}
}

deny contains {"status": 403, "body": "only the reviews service may write ratings"} if {
	host == "ratings"
	req.method in {"POST", "PUT", "PATCH", "DELETE"}
	principal != "spiffe://cluster.local/ns/bookinfo/sa/reviews"
}

deny contains {"status": 400, "body": "path traversal is not allowed"} if {
	regex.match(`.*(\.\.|%2e%2e|%2E%2E).*`, url_path)
}

caller := principal if principal != ""

else := "anonymous"

result := {"allowed": true, "headers": {"x-tollgate-caller": caller}} if count(deny) == 0

result := {"allowed": false, "http_status": d.status, "body": d.body} if {
	count(deny) > 0
	d := [x | some x in deny][0]
}
