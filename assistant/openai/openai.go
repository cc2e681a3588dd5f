// Package openai is the OpenAI-compatible provider of the assistant: an
// assistant.Model over the Chat Completions API (github.com/openai/openai-go/v3)
// at a configured base URL, which is how local servers are reached: Ollama
// (http://localhost:11434/v1/), vLLM, llama.cpp's server.
//
// Takes: a Config (base URL, model, optional key, mode) and the assistant's
// prompts. Gives: drafts {sql, explanation}, either through a forced
// function call to emit_sql (mode "tools", the default) or, for servers
// without tool calling, as a JSON object answer (mode "json",
// response_format json_object); and plain text for explanations.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/velostream/velostream/assistant"
)

// Modes of asking for a draft.
const (
	ModeTools = "tools"
	ModeJSON  = "json"
)

// Config configures the provider.
type Config struct {
	BaseURL string // required, e.g. http://localhost:11434/v1/
	Model   string // required, e.g. qwen2.5-coder:7b
	APIKey  string // optional: local servers usually take none
	Mode    string // ModeTools (default) or ModeJSON
	// MaxRetries of a failed request (0: none).
	MaxRetries int
	// Timeout of one request (default 120 s: local models are slow).
	Timeout    time.Duration
	HTTPClient *http.Client
}

// Model is an OpenAI-compatible model.
type Model struct {
	client sdk.Client
	model  string
	mode   string
}

// New checks cfg and builds the client. The base URL, key and model come
// from cfg only; a key the environment holds for OpenAI itself is not sent
// to another server.
func New(cfg Config) (*Model, error) {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		return nil, errors.New("openai: no base URL (set VELO_OPENAI_BASE_URL, e.g. http://localhost:11434/v1/)")
	}
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("openai: no model (set VELO_OPENAI_MODEL)")
	}
	switch cfg.Mode {
	case "":
		cfg.Mode = ModeTools
	case ModeTools, ModeJSON:
	default:
		return nil, fmt.Errorf("openai: mode %q: want %q or %q", cfg.Mode, ModeTools, ModeJSON)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 120 * time.Second
	}
	opts := []option.RequestOption{
		option.WithBaseURL(cfg.BaseURL),
		option.WithAPIKey(cfg.APIKey),
		option.WithMaxRetries(cfg.MaxRetries),
		option.WithRequestTimeout(cfg.Timeout),
		// Organization and project headers from OPENAI_* variables are
		// for OpenAI itself, not for the server configured here.
		option.WithHeaderDel("OpenAI-Organization"),
		option.WithHeaderDel("OpenAI-Project"),
	}
	if cfg.APIKey == "" {
		opts = append(opts, option.WithHeaderDel("Authorization"))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	return &Model{client: sdk.NewClient(opts...), model: cfg.Model, mode: cfg.Mode}, nil
}

// Name is "openai".
func (*Model) Name() string { return "openai" }

type toolInput struct {
	SQL         string `json:"sql"`
	Explanation string `json:"explanation"`
}

const jsonInstruction = "\nAnswer with one JSON object and nothing else: {\"sql\": \"...\", \"explanation\": \"...\"}. " +
	"If the question cannot be answered from the listed streams, give an empty sql and say why in explanation."

// Draft asks for SQL.
func (m *Model) Draft(ctx context.Context, system string, turns []assistant.Turn) (assistant.Draft, error) {
	params := sdk.ChatCompletionNewParams{Model: m.model}
	if m.mode == ModeJSON {
		system += jsonInstruction
		params.ResponseFormat = sdk.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	} else {
		params.Tools = []sdk.ChatCompletionToolUnionParam{sdk.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name:        assistant.ToolName,
			Description: sdk.String(assistant.ToolDescription),
			Parameters:  shared.FunctionParameters(assistant.ToolSchema()),
		})}
		params.ToolChoice = sdk.ChatCompletionToolChoiceOptionUnionParam{OfFunctionToolChoice: &sdk.ChatCompletionNamedToolChoiceParam{
			Function: sdk.ChatCompletionNamedToolChoiceFunctionParam{Name: assistant.ToolName},
		}}
	}
	msgs, err := m.messages(system, turns)
	if err != nil {
		return assistant.Draft{}, err
	}
	params.Messages = msgs
	resp, err := m.client.Chat.Completions.New(ctx, params)
	if err != nil {
		return assistant.Draft{}, fmt.Errorf("chat completions: %w", err)
	}
	if len(resp.Choices) == 0 {
		return assistant.Draft{}, errors.New("the reply has no choices")
	}
	msg := resp.Choices[0].Message
	for _, tc := range msg.ToolCalls {
		if tc.Type == "function" && tc.Function.Name == assistant.ToolName {
			var in toolInput
			if err := json.Unmarshal([]byte(tc.Function.Arguments), &in); err != nil {
				return assistant.Draft{}, fmt.Errorf("the %s arguments are not {sql, explanation}: %w", assistant.ToolName, err)
			}
			return assistant.Draft{SQL: in.SQL, Explanation: in.Explanation, CallID: tc.ID}, nil
		}
	}
	// JSON mode, or a server that ignored tool_choice and answered in
	// text: the content must be the JSON object itself.
	var in toolInput
	content := strings.TrimSpace(msg.Content)
	content = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(content, "```json"), "```"), "```")
	if err := json.Unmarshal([]byte(strings.TrimSpace(content)), &in); err != nil {
		return assistant.Draft{}, fmt.Errorf("the reply (finish reason %q) has no %s call and no {sql, explanation} JSON: %.120q", resp.Choices[0].FinishReason, assistant.ToolName, msg.Content)
	}
	return assistant.Draft{SQL: in.SQL, Explanation: in.Explanation}, nil
}

// messages maps the conversation. In tools mode a draft is the assistant's
// function call and the feedback is that call's tool result; in JSON mode
// they are plain assistant and user messages.
func (m *Model) messages(system string, turns []assistant.Turn) ([]sdk.ChatCompletionMessageParamUnion, error) {
	out := []sdk.ChatCompletionMessageParamUnion{sdk.SystemMessage(system)}
	lastCall := ""
	for _, t := range turns {
		switch {
		case t.Question != "":
			out = append(out, sdk.UserMessage(t.Question))
		case t.Draft != nil:
			args, err := json.Marshal(toolInput{SQL: t.Draft.SQL, Explanation: t.Draft.Explanation})
			if err != nil {
				return nil, err
			}
			if m.mode == ModeJSON || t.Draft.CallID == "" {
				out = append(out, sdk.AssistantMessage(string(args)))
				lastCall = ""
				continue
			}
			lastCall = t.Draft.CallID
			out = append(out, sdk.ChatCompletionMessageParamUnion{OfAssistant: &sdk.ChatCompletionAssistantMessageParam{
				ToolCalls: []sdk.ChatCompletionMessageToolCallUnionParam{{OfFunction: &sdk.ChatCompletionMessageFunctionToolCallParam{
					ID:       t.Draft.CallID,
					Function: sdk.ChatCompletionMessageFunctionToolCallFunctionParam{Name: assistant.ToolName, Arguments: string(args)},
				}}},
			}})
		case t.Feedback != "":
			if lastCall != "" {
				out = append(out, sdk.ToolMessage(t.Feedback, lastCall))
			} else {
				out = append(out, sdk.UserMessage(t.Feedback))
			}
		}
	}
	return out, nil
}

// Complete asks for plain text.
func (m *Model) Complete(ctx context.Context, system, user string) (string, error) {
	resp, err := m.client.Chat.Completions.New(ctx, sdk.ChatCompletionNewParams{
		Model:    m.model,
		Messages: []sdk.ChatCompletionMessageParamUnion{sdk.SystemMessage(system), sdk.UserMessage(user)},
	})
	if err != nil {
		return "", fmt.Errorf("chat completions: %w", err)
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("the reply has no choices")
	}
	return resp.Choices[0].Message.Content, nil
}
