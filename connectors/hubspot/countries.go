package hubspot

import (
	"strings"
	"sync"
	"unicode"
)

// countryNames are the English names of the countries phone numbers have
// metadata for, by their ISO 3166 alpha-2 code, as CLDR writes them
// (golang.org/x/text/language/display's English region names), with the
// other spellings people type into HubSpot's free-text country property.
var countryNames = map[string][]string{
	"AC": {"ascension island"},
	"AD": {"andorra"},
	"AE": {"united arab emirates", "uae"},
	"AF": {"afghanistan"},
	"AG": {"antigua & barbuda"},
	"AI": {"anguilla"},
	"AL": {"albania"},
	"AM": {"armenia"},
	"AO": {"angola"},
	"AR": {"argentina"},
	"AS": {"american samoa"},
	"AT": {"austria"},
	"AU": {"australia"},
	"AW": {"aruba"},
	"AX": {"åland islands"},
	"AZ": {"azerbaijan"},
	"BA": {"bosnia & herzegovina"},
	"BB": {"barbados"},
	"BD": {"bangladesh"},
	"BE": {"belgium"},
	"BF": {"burkina faso"},
	"BG": {"bulgaria"},
	"BH": {"bahrain"},
	"BI": {"burundi"},
	"BJ": {"benin"},
	"BL": {"st. barthélemy"},
	"BM": {"bermuda"},
	"BN": {"brunei", "brunei darussalam"},
	"BO": {"bolivia", "bolivia, plurinational state of"},
	"BQ": {"caribbean netherlands"},
	"BR": {"brazil"},
	"BS": {"bahamas"},
	"BT": {"bhutan"},
	"BW": {"botswana"},
	"BY": {"belarus"},
	"BZ": {"belize"},
	"CA": {"canada"},
	"CC": {"cocos (keeling) islands"},
	"CD": {"congo - kinshasa", "democratic republic of the congo", "dr congo", "drc"},
	"CF": {"central african republic"},
	"CG": {"congo - brazzaville", "republic of the congo", "congo"},
	"CH": {"switzerland"},
	"CI": {"côte d’ivoire", "ivory coast", "cote d'ivoire"},
	"CK": {"cook islands"},
	"CL": {"chile"},
	"CM": {"cameroon"},
	"CN": {"china"},
	"CO": {"colombia"},
	"CR": {"costa rica"},
	"CU": {"cuba"},
	"CV": {"cape verde", "cabo verde"},
	"CW": {"curaçao"},
	"CX": {"christmas island"},
	"CY": {"cyprus"},
	"CZ": {"czechia", "czech republic"},
	"DE": {"germany"},
	"DJ": {"djibouti"},
	"DK": {"denmark"},
	"DM": {"dominica"},
	"DO": {"dominican republic"},
	"DZ": {"algeria"},
	"EC": {"ecuador"},
	"EE": {"estonia"},
	"EG": {"egypt"},
	"EH": {"western sahara"},
	"ER": {"eritrea"},
	"ES": {"spain"},
	"ET": {"ethiopia"},
	"FI": {"finland"},
	"FJ": {"fiji"},
	"FK": {"falkland islands"},
	"FM": {"micronesia"},
	"FO": {"faroe islands"},
	"FR": {"france"},
	"GA": {"gabon"},
	"GB": {"united kingdom", "uk", "great britain", "britain", "england", "scotland", "wales", "northern ireland", "united kingdom of great britain and northern ireland"},
	"GD": {"grenada"},
	"GE": {"georgia"},
	"GF": {"french guiana"},
	"GG": {"guernsey"},
	"GH": {"ghana"},
	"GI": {"gibraltar"},
	"GL": {"greenland"},
	"GM": {"gambia"},
	"GN": {"guinea"},
	"GP": {"guadeloupe"},
	"GQ": {"equatorial guinea"},
	"GR": {"greece"},
	"GT": {"guatemala"},
	"GU": {"guam"},
	"GW": {"guinea-bissau"},
	"GY": {"guyana"},
	"HK": {"hong kong sar china", "hong kong", "hong kong sar"},
	"HN": {"honduras"},
	"HR": {"croatia"},
	"HT": {"haiti"},
	"HU": {"hungary"},
	"ID": {"indonesia"},
	"IE": {"ireland"},
	"IL": {"israel"},
	"IM": {"isle of man"},
	"IN": {"india"},
	"IO": {"british indian ocean territory"},
	"IQ": {"iraq"},
	"IR": {"iran", "iran, islamic republic of"},
	"IS": {"iceland"},
	"IT": {"italy"},
	"JE": {"jersey"},
	"JM": {"jamaica"},
	"JO": {"jordan"},
	"JP": {"japan"},
	"KE": {"kenya"},
	"KG": {"kyrgyzstan"},
	"KH": {"cambodia"},
	"KI": {"kiribati"},
	"KM": {"comoros"},
	"KN": {"st. kitts & nevis"},
	"KP": {"north korea", "democratic people's republic of korea"},
	"KR": {"south korea", "korea", "republic of korea", "korea, republic of"},
	"KW": {"kuwait"},
	"KY": {"cayman islands"},
	"KZ": {"kazakhstan"},
	"LA": {"laos", "lao people's democratic republic", "lao pdr"},
	"LB": {"lebanon"},
	"LC": {"st. lucia"},
	"LI": {"liechtenstein"},
	"LK": {"sri lanka"},
	"LR": {"liberia"},
	"LS": {"lesotho"},
	"LT": {"lithuania"},
	"LU": {"luxembourg"},
	"LV": {"latvia"},
	"LY": {"libya"},
	"MA": {"morocco"},
	"MC": {"monaco"},
	"MD": {"moldova", "moldova, republic of"},
	"ME": {"montenegro"},
	"MF": {"st. martin"},
	"MG": {"madagascar"},
	"MH": {"marshall islands"},
	"MK": {"macedonia"},
	"ML": {"mali"},
	"MM": {"myanmar (burma)", "myanmar", "burma"},
	"MN": {"mongolia"},
	"MO": {"macau sar china", "macau", "macao sar"},
	"MP": {"northern mariana islands"},
	"MQ": {"martinique"},
	"MR": {"mauritania"},
	"MS": {"montserrat"},
	"MT": {"malta"},
	"MU": {"mauritius"},
	"MV": {"maldives"},
	"MW": {"malawi"},
	"MX": {"mexico"},
	"MY": {"malaysia"},
	"MZ": {"mozambique"},
	"NA": {"namibia"},
	"NC": {"new caledonia"},
	"NE": {"niger"},
	"NF": {"norfolk island"},
	"NG": {"nigeria"},
	"NI": {"nicaragua"},
	"NL": {"netherlands", "holland", "the netherlands"},
	"NO": {"norway"},
	"NP": {"nepal"},
	"NR": {"nauru"},
	"NU": {"niue"},
	"NZ": {"new zealand"},
	"OM": {"oman"},
	"PA": {"panama"},
	"PE": {"peru"},
	"PF": {"french polynesia"},
	"PG": {"papua new guinea"},
	"PH": {"philippines", "the philippines"},
	"PK": {"pakistan"},
	"PL": {"poland"},
	"PM": {"st. pierre & miquelon"},
	"PR": {"puerto rico"},
	"PS": {"palestinian territories", "palestine", "state of palestine"},
	"PT": {"portugal"},
	"PW": {"palau"},
	"PY": {"paraguay"},
	"QA": {"qatar"},
	"RE": {"réunion"},
	"RO": {"romania"},
	"RS": {"serbia"},
	"RU": {"russia", "russian federation"},
	"RW": {"rwanda"},
	"SA": {"saudi arabia"},
	"SB": {"solomon islands"},
	"SC": {"seychelles"},
	"SD": {"sudan"},
	"SE": {"sweden"},
	"SG": {"singapore"},
	"SH": {"st. helena"},
	"SI": {"slovenia"},
	"SJ": {"svalbard & jan mayen"},
	"SK": {"slovakia"},
	"SL": {"sierra leone"},
	"SM": {"san marino"},
	"SN": {"senegal"},
	"SO": {"somalia"},
	"SR": {"suriname"},
	"SS": {"south sudan"},
	"ST": {"são tomé & príncipe"},
	"SV": {"el salvador"},
	"SX": {"sint maarten"},
	"SY": {"syria", "syrian arab republic"},
	"SZ": {"swaziland"},
	"TA": {"tristan da cunha"},
	"TC": {"turks & caicos islands"},
	"TD": {"chad"},
	"TG": {"togo"},
	"TH": {"thailand"},
	"TJ": {"tajikistan"},
	"TK": {"tokelau"},
	"TL": {"timor-leste", "east timor"},
	"TM": {"turkmenistan"},
	"TN": {"tunisia"},
	"TO": {"tonga"},
	"TR": {"turkey", "türkiye", "turkiye"},
	"TT": {"trinidad & tobago"},
	"TV": {"tuvalu"},
	"TW": {"taiwan", "taiwan, province of china"},
	"TZ": {"tanzania", "tanzania, united republic of"},
	"UA": {"ukraine"},
	"UG": {"uganda"},
	"US": {"united states", "usa", "us", "united states of america", "america"},
	"UY": {"uruguay"},
	"UZ": {"uzbekistan"},
	"VA": {"vatican city"},
	"VC": {"st. vincent & grenadines"},
	"VE": {"venezuela", "venezuela, bolivarian republic of"},
	"VG": {"british virgin islands"},
	"VI": {"u.s. virgin islands"},
	"VN": {"vietnam", "viet nam"},
	"VU": {"vanuatu"},
	"WF": {"wallis & futuna"},
	"WS": {"samoa"},
	"XK": {"kosovo"},
	"YE": {"yemen"},
	"YT": {"mayotte"},
	"ZA": {"south africa"},
	"ZM": {"zambia"},
	"ZW": {"zimbabwe"},
}

// countryByName is countryNames turned around, by normalized name.
var countryByName = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, 2*len(countryNames))
	for code, names := range countryNames {
		for _, n := range names {
			m[normalizeCountry(n)] = code
		}
	}
	return m
})

// countryCode reads a contact's country property: an ISO 3166 alpha-2
// code in any case, or a country's English name ("United Kingdom",
// "Viet Nam", "St. Kitts & Nevis"). It returns the upper-case code, or ""
// when it cannot tell.
func countryCode(v string) string {
	v = strings.TrimSpace(v)
	if len(v) == 2 {
		code := strings.ToUpper(v)
		if _, ok := countryNames[code]; ok {
			return code
		}
	}
	return countryByName()[normalizeCountry(v)]
}

// normalizeCountry lower-cases a country name, spells out "&" and "St.",
// and keeps letters, digits and single spaces.
func normalizeCountry(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "&", " and ")
	var b strings.Builder
	space := true
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			space = false
		case !space && (unicode.IsSpace(r) || r == '-' || r == '.' || r == ',' || r == '(' || r == ')'):
			b.WriteByte(' ')
			space = true
		}
	}
	out := strings.TrimSpace(b.String())
	if rest, ok := strings.CutPrefix(out, "st "); ok {
		out = "saint " + rest
	}
	return out
}
