// Package providers chooses the assistant's provider from configuration.
//
// Takes: a Config, usually read from the environment by FromEnv.
// Gives: the assistant.Generator to use (New), or every configured one for
// the evaluation (All). Without any model configured, the offline
// generator is used, so NL->SQL always works.
//
// Environment:
//
//	VELO_AI_PROVIDER       anthropic | openai | offline (default: the first configured of these)
//	ANTHROPIC_API_KEY      enables Anthropic
//	VELO_ANTHROPIC_MODEL   default anthropic.DefaultModel
//	VELO_ANTHROPIC_BASE_URL
//	VELO_OPENAI_BASE_URL   enables an OpenAI-compatible server, e.g. http://localhost:11434/v1/
//	VELO_OPENAI_MODEL      required with the base URL
//	VELO_OPENAI_API_KEY    optional
//	VELO_OPENAI_MODE       tools (default) | json
package providers

import (
	"fmt"
	"strings"

	"github.com/velostream/velostream/assistant"
	"github.com/velostream/velostream/assistant/anthropic"
	"github.com/velostream/velostream/assistant/offline"
	"github.com/velostream/velostream/assistant/openai"
)

// Config selects and configures the providers.
type Config struct {
	// Provider forces one: "anthropic", "openai" or "offline"; empty picks
	// Anthropic when its key is set, else OpenAI-compatible when its base
	// URL is set, else offline.
	Provider  string
	Anthropic anthropic.Config
	OpenAI    openai.Config
}

// FromEnv reads the configuration from environment variables (getenv is
// os.Getenv, or a map lookup in tests).
func FromEnv(getenv func(string) string) Config {
	return Config{
		Provider: strings.ToLower(strings.TrimSpace(getenv("VELO_AI_PROVIDER"))),
		Anthropic: anthropic.Config{
			APIKey:  getenv("ANTHROPIC_API_KEY"),
			Model:   getenv("VELO_ANTHROPIC_MODEL"),
			BaseURL: getenv("VELO_ANTHROPIC_BASE_URL"),
		},
		OpenAI: openai.Config{
			BaseURL: getenv("VELO_OPENAI_BASE_URL"),
			Model:   getenv("VELO_OPENAI_MODEL"),
			APIKey:  getenv("VELO_OPENAI_API_KEY"),
			Mode:    getenv("VELO_OPENAI_MODE"),
		},
	}
}

func (c Config) anthropicSet() bool { return strings.TrimSpace(c.Anthropic.APIKey) != "" }
func (c Config) openaiSet() bool    { return strings.TrimSpace(c.OpenAI.BaseURL) != "" }

// New returns the configured generator. A provider that is asked for but
// misconfigured is an error, not a silent fall back to offline.
func New(c Config) (assistant.Generator, error) {
	p := c.Provider
	if p == "" {
		switch {
		case c.anthropicSet():
			p = "anthropic"
		case c.openaiSet():
			p = "openai"
		default:
			p = "offline"
		}
	}
	switch p {
	case "anthropic":
		m, err := anthropic.New(c.Anthropic)
		if err != nil {
			return nil, err
		}
		return assistant.NewModelGenerator(m), nil
	case "openai":
		m, err := openai.New(c.OpenAI)
		if err != nil {
			return nil, err
		}
		return assistant.NewModelGenerator(m), nil
	case "offline":
		return offline.New(), nil
	}
	return nil, fmt.Errorf("VELO_AI_PROVIDER %q: want anthropic, openai or offline", c.Provider)
}

// All returns the offline generator and every model provider that is
// configured (for the evaluation).
func All(c Config) ([]assistant.Generator, error) {
	out := []assistant.Generator{offline.New()}
	if c.anthropicSet() {
		m, err := anthropic.New(c.Anthropic)
		if err != nil {
			return nil, err
		}
		out = append(out, assistant.NewModelGenerator(m))
	}
	if c.openaiSet() {
		m, err := openai.New(c.OpenAI)
		if err != nil {
			return nil, err
		}
		out = append(out, assistant.NewModelGenerator(m))
	}
	return out, nil
}
