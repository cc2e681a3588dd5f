package providers

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestChoice(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string // provider name, or "error: ..."
	}{
		{"nothing configured", nil, "offline"},
		{"anthropic key", map[string]string{"ANTHROPIC_API_KEY": "k"}, "anthropic"},
		{"openai base URL", map[string]string{"VELO_OPENAI_BASE_URL": "http://127.0.0.1:11434/v1/", "VELO_OPENAI_MODEL": "m"}, "openai"},
		{"anthropic first", map[string]string{"ANTHROPIC_API_KEY": "k", "VELO_OPENAI_BASE_URL": "http://127.0.0.1:11434/v1/", "VELO_OPENAI_MODEL": "m"}, "anthropic"},
		{"forced offline", map[string]string{"ANTHROPIC_API_KEY": "k", "VELO_AI_PROVIDER": "offline"}, "offline"},
		{"forced openai", map[string]string{"ANTHROPIC_API_KEY": "k", "VELO_AI_PROVIDER": "OpenAI", "VELO_OPENAI_BASE_URL": "http://127.0.0.1:1/v1/", "VELO_OPENAI_MODEL": "m"}, "openai"},
		{"forced anthropic without key", map[string]string{"VELO_AI_PROVIDER": "anthropic"}, "error: ANTHROPIC_API_KEY"},
		{"openai without model", map[string]string{"VELO_OPENAI_BASE_URL": "http://127.0.0.1:1/v1/"}, "error: no model"},
		{"unknown provider", map[string]string{"VELO_AI_PROVIDER": "gemini"}, `error: VELO_AI_PROVIDER "gemini"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := New(FromEnv(env(c.env)))
			if want, isErr := strings.CutPrefix(c.want, "error: "); isErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("got %v, want an error with %q", err, want)
				}
				return
			}
			if err != nil || g.Name() != c.want {
				t.Fatalf("got %v %v, want %s", g, err, c.want)
			}
		})
	}
}

func TestAll(t *testing.T) {
	gs, err := All(FromEnv(env(map[string]string{"ANTHROPIC_API_KEY": "k", "VELO_OPENAI_BASE_URL": "http://127.0.0.1:1/v1/", "VELO_OPENAI_MODEL": "m"})))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range gs {
		names = append(names, g.Name())
	}
	if strings.Join(names, ",") != "offline,anthropic,openai" {
		t.Fatalf("%v", names)
	}
}
