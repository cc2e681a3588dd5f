package report

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// JUnit renders r as JUnit XML: one test suite for the query, one test case
// per assertion, the analysis in the suite's system-out.
func JUnit(r *Report) []byte {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
	}
	type suite struct {
		Name      string     `xml:"name,attr"`
		Tests     int        `xml:"tests,attr"`
		Failures  int        `xml:"failures,attr"`
		Errors    int        `xml:"errors,attr"`
		Skipped   int        `xml:"skipped,attr"`
		Time      string     `xml:"time,attr"`
		Cases     []testcase `xml:"testcase"`
		SystemOut string     `xml:"system-out,omitempty"`
	}
	type suites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Name     string   `xml:"name,attr"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Time     string   `xml:"time,attr"`
		Suites   []suite  `xml:"testsuite"`
	}
	secs := fmt.Sprintf("%.3f", r.Performance.ExecutionMs/1000)
	s := suite{Name: r.Query, Tests: r.Total, Failures: r.Failed, Time: secs}
	// Test case names stay the same from run to run (CI keeps history by
	// name): the type, numbered when it occurs more than once.
	count := map[string]int{}
	for _, a := range r.Assertions {
		count[a.Type]++
	}
	seen := map[string]int{}
	for _, a := range r.Assertions {
		name := a.Type
		if count[a.Type] > 1 {
			seen[a.Type]++
			name = fmt.Sprintf("%s #%d", a.Type, seen[a.Type])
		}
		tc := testcase{Name: name, Classname: r.Query, Time: "0"}
		if !a.Passed {
			var body strings.Builder
			if a.Message != "" {
				fmt.Fprintf(&body, "message:  %s\n", a.Message)
			}
			fmt.Fprintf(&body, "expected: %s\nseen:     %s\n", a.Expected, a.Actual)
			for _, row := range a.Rows {
				fmt.Fprintf(&body, "row: %s\n", row)
			}
			tc.Failure = &failure{Message: a.Type + ": " + a.Summary, Type: a.Type, Body: body.String()}
		}
		s.Cases = append(s.Cases, tc)
	}
	var out strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&out, "%s\n", f.Title)
		for _, d := range f.Details {
			fmt.Fprintf(&out, "  %s\n", d)
		}
		if f.Fix != "" {
			fmt.Fprintf(&out, "  Suggested fix: %s\n", f.Fix)
		}
	}
	s.SystemOut = out.String()
	doc := suites{Name: "velo test", Tests: r.Total, Failures: r.Failed, Time: secs, Suites: []suite{s}}
	b, _ := xml.MarshalIndent(doc, "", "  ")
	return append(append([]byte(xml.Header), b...), '\n')
}
