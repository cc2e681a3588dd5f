// Package anthropic is the Anthropic provider of the assistant: an
// assistant.Model over the Messages API (github.com/anthropics/anthropic-sdk-go/v2).
//
// Takes: a Config (API key, model, optional base URL) and the assistant's
// prompts. Gives: drafts the model wrote through the emit_sql tool, which it
// is forced to call (tool_choice {type: tool, name: emit_sql}) so that its
// answer is always {sql, explanation}; and plain text for explanations.
// Wrap it with assistant.NewModelGenerator, which validates and repairs.
package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/velostream/velostream/assistant"
)

// DefaultModel is used when Config.Model is empty.
const DefaultModel = string(sdk.ModelClaudeSonnet4_5)

// Config configures the provider.
type Config struct {
	APIKey  string // required; from ANTHROPIC_API_KEY
	Model   string // DefaultModel when empty
	BaseURL string // the API's default when empty (tests point it at httptest)
	// MaxTokens bounds an answer (default 1024).
	MaxTokens int64
	// MaxRetries of a failed request (0: none; the SDK backs off between them).
	MaxRetries int
	// Timeout of one request (default 60 s).
	Timeout    time.Duration
	HTTPClient *http.Client
}

// Model is the Anthropic model.
type Model struct {
	client    sdk.Client
	model     string
	maxTokens int64
}

// New checks cfg and builds the client. The SDK's environment defaults are
// off: the key and base URL come from cfg only, so what configured the
// provider is exactly what it uses.
func New(cfg Config) (*Model, error) {
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("anthropic: no API key (set ANTHROPIC_API_KEY)")
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 1024
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(cfg.APIKey),
		option.WithMaxRetries(cfg.MaxRetries),
		option.WithRequestTimeout(cfg.Timeout),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Model{client: sdk.NewClient(opts...), model: cfg.Model, maxTokens: cfg.MaxTokens}, nil
}

// Name is "anthropic".
func (*Model) Name() string { return "anthropic" }

type toolInput struct {
	SQL         string `json:"sql"`
	Explanation string `json:"explanation"`
}

// Draft asks for SQL through the forced emit_sql tool.
func (m *Model) Draft(ctx context.Context, system string, turns []assistant.Turn) (assistant.Draft, error) {
	msgs, err := messages(turns)
	if err != nil {
		return assistant.Draft{}, err
	}
	schema := assistant.ToolSchema()
	tool := sdk.ToolUnionParamOfTool(sdk.ToolInputSchemaParam{
		Properties: schema["properties"],
		Required:   []string{"sql", "explanation"},
	}, assistant.ToolName)
	tool.OfTool.Description = sdk.String(assistant.ToolDescription)
	resp, err := m.client.Messages.New(ctx, sdk.MessageNewParams{
		Model:      sdk.Model(m.model),
		MaxTokens:  m.maxTokens,
		System:     []sdk.TextBlockParam{{Text: system}},
		Messages:   msgs,
		Tools:      []sdk.ToolUnionParam{tool},
		ToolChoice: sdk.ToolChoiceParamOfTool(assistant.ToolName),
	})
	if err != nil {
		return assistant.Draft{}, fmt.Errorf("messages: %w", err)
	}
	for _, b := range resp.Content {
		if b.Type != "tool_use" || b.Name != assistant.ToolName {
			continue
		}
		var in toolInput
		if err := json.Unmarshal(b.Input, &in); err != nil {
			return assistant.Draft{}, fmt.Errorf("the %s input is not {sql, explanation}: %w", assistant.ToolName, err)
		}
		return assistant.Draft{SQL: in.SQL, Explanation: in.Explanation, CallID: b.ID}, nil
	}
	return assistant.Draft{}, fmt.Errorf("the reply (stop reason %q) has no %s call", resp.StopReason, assistant.ToolName)
}

// messages maps the conversation: the question and feedback are user
// turns (the feedback as the tool's error result, as the API requires
// after a tool call), drafts are the assistant's tool calls.
func messages(turns []assistant.Turn) ([]sdk.MessageParam, error) {
	var out []sdk.MessageParam
	lastCall := ""
	for _, t := range turns {
		switch {
		case t.Question != "":
			out = append(out, sdk.NewUserMessage(sdk.NewTextBlock(t.Question)))
		case t.Draft != nil:
			lastCall = t.Draft.CallID
			out = append(out, sdk.NewAssistantMessage(sdk.NewToolUseBlock(t.Draft.CallID, toolInput{SQL: t.Draft.SQL, Explanation: t.Draft.Explanation}, assistant.ToolName)))
		case t.Feedback != "":
			if lastCall == "" {
				return nil, errors.New("feedback without a tool call to answer")
			}
			out = append(out, sdk.NewUserMessage(sdk.NewToolResultBlock(lastCall, t.Feedback, true)))
		}
	}
	return out, nil
}

// Complete asks for plain text.
func (m *Model) Complete(ctx context.Context, system, user string) (string, error) {
	resp, err := m.client.Messages.New(ctx, sdk.MessageNewParams{
		Model:     sdk.Model(m.model),
		MaxTokens: m.maxTokens,
		System:    []sdk.TextBlockParam{{Text: system}},
		Messages:  []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock(user))},
	})
	if err != nil {
		return "", fmt.Errorf("messages: %w", err)
	}
	var b strings.Builder
	for _, c := range resp.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String(), nil
}
