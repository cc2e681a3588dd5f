package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Format writes s as a schema file that Parse reads back to the same schema.
func Format(s *Schema) string {
	var b strings.Builder
	b.WriteString("schema:\n")
	fmt.Fprintf(&b, "  name: %s\n", yamlStr(s.Name))
	if s.Namespace != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", yamlStr(s.Namespace))
	}
	if s.Description != "" {
		fmt.Fprintf(&b, "  description: %s\n", yamlStr(s.Description))
	}
	b.WriteString("fields:\n")
	for _, f := range s.Fields {
		fmt.Fprintf(&b, "  - name: %s\n", yamlStr(f.Name))
		fmt.Fprintf(&b, "    type: %s\n", f.Type)
		if f.Description != "" {
			fmt.Fprintf(&b, "    description: %s\n", yamlStr(f.Description))
		}
		if f.Type == Decimal {
			fmt.Fprintf(&b, "    precision: %d\n    scale: %d\n", f.Precision, f.Scale)
		}
		var c []string
		add := func(k, v string) { c = append(c, k+": "+v) }
		if f.Enum != nil {
			vals := make([]string, len(f.Enum))
			for i, v := range f.Enum {
				if f.Type == String {
					vals[i] = yamlStr(Text(v))
				} else {
					vals[i] = Text(v)
				}
			}
			add("enum", "["+strings.Join(vals, ", ")+"]")
		}
		if f.Weights != nil {
			ws := make([]string, len(f.Weights))
			for i, w := range f.Weights {
				ws[i] = strconv.FormatFloat(w, 'g', -1, 64)
			}
			add("weights", "["+strings.Join(ws, ", ")+"]")
		}
		if f.Min != nil {
			add("min", Text(*f.Min))
		}
		if f.Max != nil {
			add("max", Text(*f.Max))
		}
		if f.Pattern != nil {
			add("pattern", strconv.Quote(f.Pattern.Src))
		}
		if f.MinLength > 0 {
			add("min_length", strconv.Itoa(f.MinLength))
		}
		if f.MaxLength > 0 {
			add("max_length", strconv.Itoa(f.MaxLength))
		}
		if f.Distribution != "" && f.Distribution != Uniform {
			add("distribution", f.Distribution)
		}
		if f.Mean != nil {
			add("mean", strconv.FormatFloat(*f.Mean, 'g', -1, 64))
		}
		if f.Stddev != nil {
			add("stddev", strconv.FormatFloat(*f.Stddev, 'g', -1, 64))
		}
		if f.Distribution == Zipf {
			add("exponent", strconv.FormatFloat(f.Exponent, 'g', -1, 64))
		}
		if f.Probability != nil {
			add("probability", strconv.FormatFloat(*f.Probability, 'g', -1, 64))
		}
		if f.Derived != "" {
			add("derived", strconv.Quote(f.Derived))
		}
		if f.References != nil {
			add("references", fmt.Sprintf("{schema: %s, field: %s}", yamlStr(f.References.Schema), yamlStr(f.References.Field)))
		}
		if f.Sequence != nil {
			add("sequence", fmt.Sprintf("{start: %d, step: %d}", f.Sequence.Start, f.Sequence.Step))
			if f.Type == String && f.Format != "%d" {
				add("format", strconv.Quote(f.Format))
			}
		}
		if f.Type == Timestamp {
			add("start", strconv.Quote(f.Start))
			if f.End != "" {
				add("end", strconv.Quote(f.End))
			}
			if f.Rate > 0 {
				add("rate", strconv.FormatFloat(f.Rate, 'g', -1, 64))
			}
			if f.JitterMs > 0 {
				add("jitter", fmt.Sprintf("%dms", f.JitterMs))
			}
		}
		if f.Nullable {
			add("nullable", "true")
			add("null_probability", strconv.FormatFloat(f.NullProbability, 'g', -1, 64))
		}
		if len(c) > 0 {
			b.WriteString("    constraints:\n")
			for _, l := range c {
				b.WriteString("      " + l + "\n")
			}
		}
	}
	return b.String()
}

// yamlStr quotes s when plain YAML would read it as something else.
func yamlStr(s string) string {
	if s == "" {
		return `""`
	}
	plain := true
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r == ' ' || r == '/' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			plain = false
			break
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "~":
		plain = false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		plain = false
	}
	if strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") || strings.HasPrefix(s, "-") {
		plain = false
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}
