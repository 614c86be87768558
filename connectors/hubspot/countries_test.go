package hubspot

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/assert"
)

func TestCountryCode(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"GB", "GB"},
		{"gb", "GB"},
		{" id ", "ID"},
		{"United Kingdom", "GB"},
		{"UNITED KINGDOM", "GB"},
		{"UK", "GB"},
		{"England", "GB"},
		{"Indonesia", "ID"},
		{"United States", "US"},
		{"United States of America", "US"},
		{"Viet Nam", "VN"},
		{"Vietnam", "VN"},
		{"St. Kitts & Nevis", "KN"},
		{"Saint Kitts and Nevis", "KN"},
		{"Côte d’Ivoire", "CI"},
		{"Cote d'Ivoire", "CI"},
		{"Korea, Republic of", "KR"},
		{"Hong Kong", "HK"},
		{"Myanmar (Burma)", "MM"},
		{"Türkiye", "TR"},
		{"", ""},
		{"Atlantis", ""},
		{"XX", ""},
		{"ZZ", ""},
		{"GBR", ""},
		{"U", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, countryCode(tt.in))
		})
	}
}

// Every code is a region phone numbers can be read with, and no two
// countries share a name.
func TestCountryNames(t *testing.T) {
	supported := phonenumbers.GetSupportedRegions()
	seen := map[string]string{}
	for code, names := range countryNames {
		assert.True(t, supported[code], "%s is not a region phonenumbers knows", code)
		assert.NotEmpty(t, names, code)
		for _, n := range names {
			key := normalizeCountry(n)
			if other, ok := seen[key]; ok && other != code {
				t.Errorf("%q names both %s and %s", n, other, code)
			}
			seen[key] = code
			assert.Equal(t, code, countryCode(n), n)
		}
	}
	assert.Greater(t, len(countryNames), 240)
}
