package chain

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/tlstrace/tlstrace/internal/dn"
)

// policyLimits says the certificate policy constraints a CA sets
// (policyConstraints, RFC 5280, Section 4.2.1.11; inhibitAnyPolicy,
// 4.2.1.14), as openssl x509 -text writes them, "" for none.
func policyLimits(c *x509.Certificate) string {
	var l []string
	if c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero {
		l = append(l, fmt.Sprintf("requireExplicitPolicy:%d", c.RequireExplicitPolicy))
	}
	if c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero {
		l = append(l, fmt.Sprintf("inhibitPolicyMapping:%d", c.InhibitPolicyMapping))
	}
	if c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero {
		l = append(l, fmt.Sprintf("inhibitAnyPolicy:%d", c.InhibitAnyPolicy))
	}
	return strings.Join(l, ", ")
}

// policies lists c's certificatePolicies (RFC 5280, Section 4.2.1.4).
func policies(c *x509.Certificate) string {
	var l []string
	for _, p := range c.Policies {
		l = append(l, p.String())
	}
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// policyFailure explains a path crypto/x509 refused for its certificate
// policies (x509.NoValidChains: no policy valid along the path, RFC 5280,
// Section 6.1, as updated by RFC 9618), naming the CA whose constraints
// ask for one, and returns the index of that CA in path (-1: none).
func policyFailure(path []*x509.Certificate) (cause, fix string, at int) {
	// The trust anchor's own constraints are not processed (RFC 5280,
	// Section 6.1: the path starts below it).
	for i := len(path) - 2; i >= 1; i-- {
		ca := path[i]
		limits := policyLimits(ca)
		if limits == "" {
			continue
		}
		var below []string
		for _, c := range path[:i] {
			below = append(below, fmt.Sprintf("%s: %s", named(c), policies(c)))
		}
		return fmt.Sprintf("no certificate policy is valid along the chain (RFC 5280, Section 6.1), as the constraints of %q (%s; its policies: %s) require; the policies below it: %s",
				dn.Subject(ca), limits, policies(ca), strings.Join(below, "; ")),
			fmt.Sprintf("issue the certificates below %q with one of its policies in certificatePolicies (openssl: -addext 'certificatePolicies=%s'), or reissue the CA without the constraint; openssl verify does not check policies unless asked (-policy_check), so it accepts this chain",
				dn.Subject(ca), firstPolicy(ca)), i
	}
	return "no certificate policy is valid along the chain (RFC 5280, Section 6.1)",
		"issue every certificate of the chain with a policy its issuer lists in certificatePolicies", -1
}

func firstPolicy(c *x509.Certificate) string {
	if len(c.Policies) == 0 {
		return "OID"
	}
	return c.Policies[0].String()
}
